import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { stackStatus } from '@ocf/local-stack';
import { reorganise, sampleOrgFile } from '../../services/directory/src/sample/sample-company.ts';
import { uniqueEnvironment, waitFor } from '../support/aws.ts';
import { ocf, spawnOcf } from '../support/ocf.ts';

// The org as code on the whole local fleet (five services, stand-in agents as local processes),
// driven only through `ocf`, which finds the fleet by itself (--env, no URL, no token): an org
// file applied, a 10-change reorganisation planned exactly and converged with --prune, a no-op
// second apply, and an apply cut short by killing the directory (the fleet restarts it) that
// finishes when run again. OCF_E2E_ORG_SIZE sets the org's size (default 300, at least 50). The agents
// run as ECS task records on the emulator (AGENT_RUNNER=ecs), so no process runs per agent.
describe('org as code on the local fleet', async () => {
  const backends = await stackStatus();
  const processStack = backends.every((b) => b.state === 'running');
  const size = Number(process.env['OCF_E2E_ORG_SIZE'] ?? '300');

  it(
    `applies a ${size}-agent org, converges a 10-change reorganisation, and resumes an interrupted apply`,
    {
      skip: processStack ? false : 'the backends under test are not a local process stack',
      timeout: 1_800_000,
    },
    async (t) => {
      // How long each step took, printed at the end (the full CI run is long; this says where).
      let mark = performance.now();
      const phase = (name: string) => {
        const at = performance.now();
        t.diagnostic(`${name}: ${((at - mark) / 1000).toFixed(1)} s`);
        mark = at;
      };
      const environment = uniqueEnvironment('orgfleet');
      const portBase = Number(process.env['OCF_E2E_PORT_BASE'] ?? '8800');
      const stackDir = process.env['OCF_STACK_DIR'] ?? '';
      const fleet = spawn(
        process.execPath,
        [
          resolve(import.meta.dirname, '../../local-stack/src/fleet.ts'),
          'up',
          '--env',
          environment,
          '--port-base',
          String(portBase),
        ],
        // Agents as ECS task records on the emulator: what is under test is plan and apply, and
        // 300 agent processes would not fit a CI machine's memory.
        {
          env: { ...process.env, BRIDGE_AS_PORT: '0', AGENT_RUNNER: 'ecs' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const output: string[] = [];
      createInterface({ input: fleet.stderr }).on('line', (line) => output.push(line));
      createInterface({ input: fleet.stdout }).on('line', (line) => output.push(line));
      const cli = (args: string[]) => ocf(['--env', environment, ...args], { OCF_STACK_DIR: stackDir });
      const dir = await mkdtemp(path.join(tmpdir(), 'ocf-fleet-org-'));
      const fileWith = async (name: string, content: unknown) => {
        const file = path.join(dir, name);
        await writeFile(file, JSON.stringify(content, null, 2));
        return file;
      };
      const activeIds = async () => {
        const { stdout } = await cli(['--json', 'ls']);
        return (JSON.parse(stdout) as { agentId: string; status: string }[])
          .filter((a) => a.status !== 'retired' && a.status !== 'retiring')
          .map((a) => a.agentId)
          .sort();
      };
      try {
        await waitFor(
          'the fleet up and found by ocf',
          async () => ((await cli(['ls'])).code === 0 ? true : undefined),
          {
            timeoutMs: 180_000,
            intervalMs: 1000,
          },
        );

        phase('fleet up');
        const org = sampleOrgFile({ seed: 13, size });
        const applied = await cli(['org', 'apply', await fileWith('org.json', org)]);
        assert.equal(applied.code, 0, applied.stderr);
        phase(`apply ${size}`);
        assert.deepEqual(await activeIds(), org.people.map((p) => p.id).sort());
        phase('ls');

        const change = reorganise(org, { hires: 2, moves: 3, promotions: 1, removals: 4 });
        const changed = await fileWith('changed.json', change.file);
        const planned = await cli(['--json', 'org', 'plan', changed, '--prune']);
        phase('plan 10 changes');
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
        const converged = await cli(['org', 'apply', changed, '--prune']);
        assert.equal(converged.code, 0, converged.stderr);
        phase('apply --prune 10 changes');
        assert.deepEqual(await activeIds(), change.file.people.map((p) => p.id).sort());
        const noop = await cli(['--json', 'org', 'apply', changed, '--prune']);
        phase('ls and no-op apply');
        assert.deepEqual((JSON.parse(noop.stdout) as { applied: unknown }).applied, {
          hire: 0,
          update: 0,
          retire: 0,
        });

        // Cut short: kill the directory mid-apply (the fleet restarts it), then apply again.
        const manager = change.file.people.find((p) => p.level === 'manager');
        assert.ok(manager);
        const batch = Array.from({ length: 30 }, (_, i) => ({
          id: `fleet-batch-${i + 1}`,
          name: `Fleet Batch ${i + 1}`,
          title: 'Engineer',
          level: 'ic' as const,
          department: manager.department,
          ...(manager.team === undefined ? {} : { team: manager.team }),
          manager: manager.id,
        }));
        const grown = await fileWith('grown.json', {
          ...change.file,
          people: [...change.file.people, ...batch],
        });
        const apply = spawnOcf(['--env', environment, 'org', 'apply', grown], { OCF_STACK_DIR: stackDir });
        const exited = new Promise<number | null>((done) => apply.once('exit', done));
        let started = false;
        let stderr = '';
        createInterface({ input: apply.stderr! }).on('line', (line) => {
          stderr += `${line}\n`;
          const progress = /^applying: (\d+)\/30$/.exec(line);
          if (progress !== null && Number(progress[1]) >= 3) started = true;
        });
        await waitFor('the apply under way', () => (started ? true : undefined), { timeoutMs: 300_000 });
        phase('30-hire apply under way (3 done)');
        const state = JSON.parse(
          await readFile(path.join(stackDir, 'fleet', environment, 'fleet.json'), 'utf8'),
        ) as {
          services: { directory: { pid: number } };
        };
        process.kill(state.services.directory.pid, 'SIGKILL');
        assert.equal(await exited, 1, stderr);
        phase('directory killed, apply exited');
        await waitFor(
          'the directory restarted by the fleet',
          async () => ((await cli(['ls'])).code === 0 ? true : undefined),
          {
            timeoutMs: 120_000,
            intervalMs: 1000,
          },
        );
        phase('directory restarted');
        const resumed = await cli(['--json', 'org', 'apply', grown]);
        phase('resumed apply');
        assert.equal(resumed.code, 0, resumed.stderr);
        const hired = (JSON.parse(resumed.stdout) as { applied: { hire: number } }).applied.hire;
        assert.ok(hired > 0 && hired < 30, `only the rest: ${hired}`);
        const all = await activeIds();
        assert.deepEqual(all, [...change.file.people.map((p) => p.id), ...batch.map((p) => p.id)].sort());
        phase('ls');
      } catch (error) {
        throw new Error(
          `${(error as Error).message}\n--- fleet output ---\n${output.slice(-40).join('\n')}`,
          { cause: error },
        );
      } finally {
        fleet.kill('SIGINT');
        await once(fleet, 'exit');
        phase('fleet down');
      }
    },
  );
});
