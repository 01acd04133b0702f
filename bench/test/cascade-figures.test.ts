// The comparison's reading and combining, on real outputs of the cascade bench: the before
// commit's (0e676fe, N = 10: 28 agents, all running) as printed, and this version's N = 1,000 run
// (stopped waiting) as committed to docs/benchmarks.md.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  agentRunner,
  benchOptions,
  combinedRows,
  combinedTable,
  parseCascadeJson,
  parseCascadeOutput,
  replaceSection,
  type CascadeFigures,
  type CompareRun,
} from '../support/cascade-figures.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const oldOutput = fixture('cascade-0e676fe-n10.txt');
const newOutput = fixture('cascade-aaf0082-n1000-docs.md');

describe('reading a cascade run', () => {
  it('reads the before commit’s printed tables, which have no end counts', () => {
    const f = parseCascadeOutput(oldOutput);
    assert.equal(f.agents, 28);
    assert.equal(f.hires, 28);
    assert.equal(f.allRunning, true);
    assert.equal(f.waitedMs, 242_000);
    assert.equal(f.running, 28);
    assert.deepEqual(f.steps['chat account'], { agents: 28, p50Ms: 90_100, p99Ms: 155_200 });
    assert.deepEqual(
      f.processes.map((p) => p.name),
      [
        'directory',
        'credentials',
        'bridge',
        'provisioning',
        'health',
        'moto',
        'Synapse',
        'agents',
        'fleet command',
        'bench',
      ],
    );
    assert.deepEqual(
      f.processes.find((p) => p.name === 'bridge'),
      {
        name: 'bridge',
        cpuMsPerHire: 241.4,
        peakRssMiB: 200,
        awsRequestsPerHire: 52.5,
        homeserverRequestsPerHire: 25.9,
      },
    );
    assert.deepEqual(
      f.processes.find((p) => p.name === 'Synapse'),
      {
        name: 'Synapse',
        cpuMsPerHire: 1303.2,
        peakRssMiB: 131,
      },
    );
    assert.equal(f.synapseHandlerCpuMsPerHire, 528.9);
    assert.equal(f.dlqMessages, undefined);
    assert.equal(f.notRunning, undefined);
  });

  it('reads a run that stopped waiting, from the current tables as prettier pads them', () => {
    const f = parseCascadeOutput(newOutput);
    assert.equal(f.agents, 1000);
    assert.equal(f.allRunning, false);
    assert.equal(f.waitedMs, 3_000_000);
    assert.equal(f.running, 1000);
    assert.equal(f.hires, 1000);
    assert.deepEqual(f.steps['running'], { agents: 991, p50Ms: 1_322_900, p99Ms: 2_492_600 });
    assert.equal(f.processes.find((p) => p.name === 'model-gateway')?.cpuMsPerHire, 23.4);
    assert.equal(f.processes.find((p) => p.name === 'fleet command')?.peakRssMiB, 130);
    assert.equal(
      f.processes.some((p) => p.name === 'agents'),
      false,
    );
    assert.equal(f.dlqMessages, 0);
    assert.equal(f.queuedMessages, 2411);
    assert.equal(f.notRunning, 0);
  });

  it('reads the same figures from a run’s --json file as from its printed tables', () => {
    // One run of this version (N = 10: 28 agents, ECS runner): what it printed and its --json file.
    const printed = parseCascadeOutput(fixture('cascade-current-n10.txt'));
    const data = parseCascadeJson(fixture('cascade-current-n10.json'));
    const {
      processes: printedProcesses,
      steps: printedSteps,
      waitedMs: printedWait,
      ...printedRest
    } = printed;
    const { processes, steps, waitedMs, ...rest } = data;
    assert.deepEqual(rest, printedRest);
    // The table rounds to 0.1 s, 0.1 ms or request and 1 MiB: half of that apart at most.
    // A figure missing from one is missing from the other.
    const near = (a: number | null | undefined, b: number | null | undefined, half: number) =>
      a === null || a === undefined || b === null || b === undefined
        ? (a ?? null) === (b ?? null)
        : Math.abs(a - b) <= half + 1e-9;
    assert.ok(near(waitedMs, printedWait, 50));
    assert.deepEqual(Object.keys(steps), Object.keys(printedSteps));
    for (const [step, latency] of Object.entries(steps)) {
      assert.equal(latency.agents, printedSteps[step]?.agents);
      assert.ok(near(latency.p50Ms, printedSteps[step]?.p50Ms, 50), step);
      assert.ok(near(latency.p99Ms, printedSteps[step]?.p99Ms, 50), step);
    }
    assert.deepEqual(
      processes.map((p) => p.name),
      printedProcesses.map((p) => p.name),
    );
    for (const [i, p] of processes.entries()) {
      const q = printedProcesses[i];
      assert.ok(near(p.cpuMsPerHire, q?.cpuMsPerHire, 0.05), p.name);
      assert.ok(near(p.peakRssMiB, q?.peakRssMiB, 0.5), p.name);
      assert.ok(near(p.awsRequestsPerHire, q?.awsRequestsPerHire, 0.05), p.name);
      assert.ok(near(p.homeserverRequestsPerHire, q?.homeserverRequestsPerHire, 0.05), p.name);
    }
  });

  it('refuses output without the tables, naming what is missing', () => {
    assert.throws(
      () => parseCascadeOutput('bench: starting the stack\nbench: TypeError: fetch failed\n'),
      /no measure table and process table/,
    );
  });

  it('reads a --json file and refuses one without the figures the table needs', () => {
    const figures = parseCascadeOutput(newOutput);
    assert.deepEqual(parseCascadeJson(JSON.stringify(figures)), figures);
    assert.throws(
      () => parseCascadeJson(JSON.stringify({ ...figures, waitedMs: '3000' })),
      /waitedMs is not a number/,
    );
    assert.throws(() => parseCascadeJson(JSON.stringify({ ...figures, processes: undefined })), /processes/);
  });
});

describe('what a version of the bench can do', () => {
  it('finds the options of both versions, and the before one lacks --runner and --idle-s', () => {
    // 0e676fe's, as it is in that commit.
    const before = benchOptions(`const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '100' },
    'raw-share': { type: 'string', default: '0.5' },
    'port-base': { type: 'string', default: '8680' },
    'timeout-s': { type: 'string', default: '1200' },
    'no-docs': { type: 'boolean', default: false },
  },
});`);
    assert.deepEqual([...before], ['agents', 'raw-share', 'port-base', 'timeout-s', 'no-docs']);
    const current = benchOptions(readFileSync(join(import.meta.dirname, '..', 'cascade.ts'), 'utf8'));
    for (const option of ['agents', 'runner', 'port-base', 'idle-s', 'timeout-s', 'json', 'no-docs'])
      assert.ok(current.has(option), option);
  });

  it('says which runner a version’s agents end up on', () => {
    const honours = "const runner = process.env['AGENT_RUNNER'] ?? 'local';";
    assert.match(agentRunner('ecs', new Set(['agents']), honours), /local .*no --runner/);
    assert.match(agentRunner('ecs', new Set(['runner']), "AGENT_RUNNER: 'local',"), /fleet command ignores/);
    assert.match(agentRunner('ecs', new Set(['runner']), honours), /^ECS tasks/);
    assert.equal(agentRunner('local', new Set(['runner']), honours), 'local stand-in processes');
  });
});

describe('the combined table', () => {
  const before = parseCascadeOutput(oldOutput);
  const after = parseCascadeOutput(newOutput);
  const run = (side: 'before' | 'after', figures: CascadeFigures): CompareRun => ({
    side,
    agents: figures.agents,
    loadAtStart: [1, 2, 3],
    outcome: { figures },
  });
  const rows = combinedRows([run('before', before), run('after', after)]);
  const cells = (measure: string) => rows.find((r) => r[0] === measure)?.slice(1);

  it('puts each measure of both versions side by side, "—" where one lacks it', () => {
    assert.deepEqual(cells('time until all running (from the import’s start)'), [
      '242.0 s',
      'not all running after 3000 s (1000 running)',
    ]);
    assert.deepEqual(cells('hires per second (N / time until all running)'), ['0.12', '0.33 running/s']);
    assert.deepEqual(cells('hire → chat account: p50 / p99'), ['90.1 s / 155.2 s', '1363.2 s / 2852.8 s']);
    assert.deepEqual(cells('CPU ms per hire: Synapse'), ['1303.2', '786.3']);
    assert.deepEqual(cells('CPU ms per hire: model-gateway'), ['—', '23.4']);
    assert.deepEqual(cells('CPU ms per hire: agents'), ['391.8', '—']);
    assert.deepEqual(cells('peak RSS, MiB: moto'), ['195', '1089']);
    assert.deepEqual(cells('homeserver requests per hire: bridge'), ['25.9', '24.4']);
    assert.deepEqual(cells('AWS API requests per hire: all'), ['147.5', '185.3']);
    assert.deepEqual(cells('messages in the DLQs at the end'), ['—', '0']);
    assert.deepEqual(cells('agents not running at the end'), ['—', '0']);
    assert.deepEqual(cells('load average at the run’s start (1 / 5 / 15 min)'), [
      '1.00 / 2.00 / 3.00',
      '1.00 / 2.00 / 3.00',
    ]);
    // Only the proxied clients have request rows: not moto, Synapse, the fleet command or the bench.
    assert.equal(cells('AWS API requests per hire: moto'), undefined);
  });

  it('says why a run has no figures, in its time row', () => {
    const table = combinedTable([
      { side: 'before', agents: 1000, loadAtStart: [9, 9, 9], outcome: { skipped: 'too many stand-ins' } },
      { side: 'after', agents: 1000, loadAtStart: [9, 9, 9], outcome: { failed: 'fetch failed (exit 1)' } },
    ]);
    assert.match(table, /^\| measure \| before N = 1000 \| after N = 1000 \|$/m);
    assert.match(
      table,
      /\| time until all running \(from the import’s start\) \| not run: too many stand-ins \| failed: fetch failed \(exit 1\) \|/,
    );
    assert.match(table, /\| agents hired \| — \| — \|/);
  });

  it('replaces its own section and leaves the rest of the page alone', () => {
    const page = 'intro\n\n<!-- cascade-compare:start -->\n\nold\n\n<!-- cascade-compare:end -->\n\nafter\n';
    assert.equal(
      replaceSection(page, 'cascade-compare', 'new'),
      'intro\n\n<!-- cascade-compare:start -->\n\nnew\n\n<!-- cascade-compare:end -->\n\nafter\n',
    );
    assert.equal(
      replaceSection('intro\n', 'cascade-compare', 'new'),
      'intro\n\n<!-- cascade-compare:start -->\n\nnew\n\n<!-- cascade-compare:end -->\n',
    );
  });
});
