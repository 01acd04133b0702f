import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalTaskObserver } from '../../services/health/src/adapters/local-task-observer.ts';
import {
  createLocalProcessRunner,
  stopAllLocalAgents,
} from '../../services/provisioning/src/adapters/local-process-runner.ts';
import { STAND_IN_AGENT } from '../../services/provisioning/src/config.ts';
import { waitFor } from '../support/aws.ts';

// The contract between provisioning's local runner (it writes task.json and exit.json) and
// health's local observer (it reads them and probes the agent): real processes, no AWS.
describe('health watching local agent processes', () => {
  let root: string;
  let runner: ReturnType<typeof createLocalProcessRunner>;
  let observer: ReturnType<typeof createLocalTaskObserver>;
  let taskArn: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocf-health-local-'));
    runner = createLocalProcessRunner({
      root,
      environment: 'test',
      command: [process.execPath, STAND_IN_AGENT],
      stopGraceMs: 2_000,
    });
    observer = createLocalTaskObserver({ root, probeTimeoutMs: 1_000 });
    ({ taskArn } = await runner.launch({
      agentId: 'ada',
      clientToken: 't1',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1B2c3',
    }));
  });

  after(async () => {
    await stopAllLocalAgents(root, 1_000);
    await rm(root, { recursive: true, force: true });
  });

  const look = async () => (await observer.observe([{ agentId: 'ada', taskArn }])).get(taskArn);

  it('sees the process running and its health check passing', async () => {
    const seen = await waitFor('a healthy agent', async () => {
      const o = await look();
      return o?.health === 'healthy' ? o : undefined;
    });
    assert.equal(seen.status, 'running');
  });

  it('sees a failing health check', async () => {
    await writeFile(join(root, 'ada', 'workspace', 'unhealthy'), '');
    const seen = await waitFor('an unhealthy agent', async () => {
      const o = await look();
      return o?.health === 'unhealthy' ? o : undefined;
    });
    assert.deepEqual(seen, { status: 'running', health: 'unhealthy', reason: 'health check answered 503' });
  });

  it('sees the process exit, with its exit code', async () => {
    await writeFile(join(root, 'ada', 'workspace', 'crash'), '');
    const seen = await waitFor('a stopped agent', async () => {
      const o = await look();
      return o?.status === 'stopped' && o.exitCode !== undefined ? o : undefined;
    });
    assert.deepEqual(seen, {
      status: 'stopped',
      health: 'unknown',
      reason: 'process exited with code 1',
      exitCode: 1,
    });
  });

  it("tells provisioning's own stop from a crash", async () => {
    await rm(join(root, 'ada', 'workspace', 'crash'));
    await rm(join(root, 'ada', 'workspace', 'unhealthy'));
    ({ taskArn } = await runner.launch({
      agentId: 'ada',
      clientToken: 't-replace',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
    }));
    await runner.stop({ taskArn, agentId: 'ada', reason: 'restart requested: credentials rotated' });
    assert.equal(existsSync(join(root, 'ada', 'task.json')), false, 'the stop removed task.json');
    assert.deepEqual(await look(), {
      status: 'stopped',
      health: 'unknown',
      reason: 'stopped by provisioning: restart requested: credentials rotated',
      byFleet: true,
    });
  });

  it('calls a task that was replaced by a newer one gone', async () => {
    await runner.launch({
      agentId: 'ada',
      clientToken: 't2',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
    });
    assert.deepEqual(await look(), { status: 'missing', health: 'unknown', reason: 'task replaced' });
  });
});
