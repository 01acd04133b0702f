import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { applyRouting, DIRECTORY_SOURCE, fleetRouting } from '@ocf/routing';
import { reorganise, sampleOrgFile } from '../../services/directory/src/sample/sample-company.ts';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { listenOnBus } from '../support/listener.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';
import { ocf, spawnOcf } from '../support/ocf.ts';

// The org as code end to end through `ocf`, on the real directory process and the bus on moto:
// 300 agents from a file, a 10-change reorganisation planned exactly and applied with prune, a
// second apply that does nothing, and an apply cut short by killing the directory that finishes
// when run again with nobody hired twice.
describe('org as code: ocf org plan/apply on the directory on moto', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('orgcode'));
  const env = { OCF_ENV: routing.environment, DIRECTORY_OUTBOX_SWEEP_MS: '1000' };
  let service: RunningServiceProcess;
  let token: string;
  let hires: Awaited<ReturnType<typeof listenOnBus>>;
  let dir: string;
  const as = () => ({ OCF_DIRECTORY_URL: service.url, OCF_TOKEN: token });
  const org = sampleOrgFile({ seed: 11, size: 300 });
  const change = reorganise(org, { hires: 2, moves: 3, promotions: 1, removals: 4 });
  const fileWith = async (name: string, content: unknown) => {
    const file = path.join(dir, name);
    await writeFile(file, JSON.stringify(content, null, 2));
    return file;
  };

  before(async () => {
    await applyRouting(routing, clients);
    hires = await listenOnBus(clients, routing.busName, {
      source: [DIRECTORY_SOURCE],
      'detail-type': ['AgentHired'],
    });
    token = await runServiceScript('directory', 'create-token.ts', ['--name', 'org-as-code'], env);
    service = await startServiceProcess('directory', env);
    dir = await mkdtemp(path.join(tmpdir(), 'ocf-org-e2e-'));
  });

  after(async () => {
    await service.stop();
  });

  const activeIds = async () => {
    const { stdout } = await ocf(['--json', 'ls'], as());
    return (JSON.parse(stdout) as { agentId: string; status: string }[])
      .filter((a) => a.status !== 'retired' && a.status !== 'retiring')
      .map((a) => a.agentId)
      .sort();
  };

  it('applies a 300-agent org file: all hired', async () => {
    assert.equal(org.people.length, 300);
    const applied = await ocf(['org', 'apply', await fileWith('org.json', org)], as());
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^Applied: 300 hired, 0 updated, 0 retiring\.$/m);
    assert.deepEqual(await activeIds(), org.people.map((p) => p.id).sort());
  });

  it('plans exactly the 10 changes (2 hires, 3 moves, 1 promotion, 4 removals); apply --prune converges; again is a no-op', async () => {
    const file = await fileWith('reorganised.json', change.file);
    const planned = await ocf(['--json', 'org', 'plan', file, '--prune'], as());
    assert.equal(planned.code, 0, planned.stderr);
    const plan = JSON.parse(planned.stdout) as {
      changes: { action: string; agentId: string; kinds?: string[] }[];
    };
    const ids = (action: string, kind?: string) =>
      plan.changes
        .filter((c) => c.action === action && (kind === undefined || (c.kinds ?? []).includes(kind)))
        .map((c) => c.agentId)
        .sort();
    assert.equal(plan.changes.length, 10);
    assert.deepEqual(ids('hire'), [...change.hired].sort());
    assert.deepEqual(ids('update', 'move'), [...change.moved].sort());
    assert.deepEqual(ids('update', 'promotion'), [...change.promoted].sort());
    assert.deepEqual(ids('retire'), [...change.removed].sort());

    const human = await ocf(['org', 'plan', file, '--prune'], as());
    assert.match(human.stdout, /^Plan: 2 to hire, 4 to update, 4 to retire \(292 unchanged\)\.$/m);

    const applied = await ocf(['--json', 'org', 'apply', file, '--prune'], as());
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual((JSON.parse(applied.stdout) as { applied: unknown }).applied, {
      hire: 2,
      update: 4,
      retire: 4,
    });
    assert.deepEqual(await activeIds(), change.file.people.map((p) => p.id).sort());

    const again = await ocf(['--json', 'org', 'apply', file, '--prune'], as());
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as { applied: unknown }).applied, {
      hire: 0,
      update: 0,
      retire: 0,
    });
    const replan = await ocf(['org', 'plan', file, '--prune'], as());
    assert.equal(replan.stdout, 'No changes: the org matches the file.\n');
  });

  it('an apply interrupted by killing the directory finishes when run again, with no duplicate hire', async () => {
    const manager = change.file.people.find((p) => p.level === 'manager');
    assert.ok(manager);
    const grown = {
      ...change.file,
      people: [
        ...change.file.people,
        ...Array.from({ length: 150 }, (_, i) => ({
          id: `batch-hire-${i + 1}`,
          name: `Batch Hire ${i + 1}`,
          title: 'Engineer',
          level: 'ic' as const,
          department: manager.department,
          ...(manager.team === undefined ? {} : { team: manager.team }),
          manager: manager.id,
        })),
      ],
    };
    const file = await fileWith('grown.json', grown);
    const apply = spawnOcf(['org', 'apply', file], as());
    const exited = new Promise<number | null>((done) => apply.once('exit', done));
    let stderr = '';
    let started = false;
    createInterface({ input: apply.stderr! }).on('line', (line) => {
      stderr += `${line}\n`;
      const progress = /^applying: (\d+)\/150$/.exec(line);
      if (progress !== null && Number(progress[1]) >= 15) started = true;
    });
    await waitFor('the apply under way', () => (started ? true : undefined), { timeoutMs: 120_000 });
    service.child.kill('SIGKILL');
    assert.equal(await exited, 1, stderr);
    assert.match(
      stderr,
      /interrupted after \d+ of 150 changes; run the same command again|connection to the directory broke/,
    );

    service = await startServiceProcess('directory', env);
    const resumed = await ocf(['--json', 'org', 'apply', file], as());
    assert.equal(resumed.code, 0, resumed.stderr);
    const result = JSON.parse(resumed.stdout) as { applied: { hire: number } };
    assert.ok(result.applied.hire > 0 && result.applied.hire < 150, `the rest only: ${result.applied.hire}`);
    assert.deepEqual(await activeIds(), grown.people.map((p) => p.id).sort());

    // Every agent's AgentHired reaches the bus (the restarted directory's outbox sweep publishes
    // what the killed one recorded but had not published), and each agent has exactly one hire:
    // a repeat on the bus carries the same event id, which consumers deduplicate.
    const everyone = new Set([...org.people, ...grown.people].map((p) => p.id));
    const eventIdsOf = new Map<string, Set<string>>();
    await waitFor(
      'an AgentHired for every agent',
      async () => {
        for (const event of await hires.drain()) {
          const eventId = event.detail.metadata?.eventId;
          assert.ok(eventId, 'every event has an id');
          const agentId = String(event.detail.data['agentId']);
          eventIdsOf.set(agentId, (eventIdsOf.get(agentId) ?? new Set()).add(eventId));
        }
        return [...everyone].every((id) => eventIdsOf.has(id)) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    for (const [agentId, ids] of eventIdsOf)
      assert.equal(ids.size, 1, `${agentId} hired once, not ${ids.size} times`);
    const again = await ocf(['--json', 'org', 'apply', file], as());
    assert.deepEqual((JSON.parse(again.stdout) as { applied: unknown }).applied, {
      hire: 0,
      update: 0,
      retire: 0,
    });
  });
});
