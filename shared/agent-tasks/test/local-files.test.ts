import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  defaultLocalAgentsDir,
  FLEET_STOP_PREFIX,
  FLEET_STOPPER,
  isAlive,
  LOCAL_AGENT_FILES,
  readLocalExitFile,
  readLocalStopFile,
  readLocalStopFileSync,
  readLocalTaskFile,
  startTicksOf,
  type LocalExitFile,
  type LocalTaskFile,
} from '../src/index.ts';

const task: LocalTaskFile = {
  taskArn: 'local:test:ada:1',
  agentId: 'ada',
  pid: 4242,
  startTicks: 17,
  clientToken: 't1',
  startedAt: '2026-01-01T00:00:00.000Z',
  command: ['node', 'agent.ts'],
  healthUrl: 'http://127.0.0.1:1234/healthz',
};

describe("a local agent's files", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ocf-agent-tasks-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const write = (name: string, content: unknown) =>
    writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));

  it('read back what the runner wrote', async () => {
    await write(LOCAL_AGENT_FILES.task, task);
    const exit: LocalExitFile = {
      taskArn: task.taskArn,
      exitCode: null,
      signal: 'SIGTERM',
      at: '2026-01-01T00:01:00.000Z',
      stoppedBy: FLEET_STOPPER,
      reason: 'retired',
    };
    await write(LOCAL_AGENT_FILES.exit, exit);
    const stop = { taskArn: task.taskArn, reason: 'retired', at: '2026-01-01T00:00:59.000Z' };
    await write(LOCAL_AGENT_FILES.stop, stop);
    assert.deepEqual(await readLocalTaskFile(dir), task);
    assert.deepEqual(await readLocalExitFile(dir), exit);
    assert.deepEqual(await readLocalStopFile(dir), stop);
    assert.deepEqual(readLocalStopFileSync(dir), stop);
  });

  it('read as absent when missing, half-written or of another shape, instead of being trusted', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'ocf-agent-tasks-empty-'));
    try {
      assert.equal(await readLocalTaskFile(empty), undefined);
      assert.equal(readLocalStopFileSync(empty), undefined);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
    await write(LOCAL_AGENT_FILES.task, '{"taskArn": "local:test:ada:1", "pid": 42');
    assert.equal(await readLocalTaskFile(dir), undefined, 'half-written');
    await write(LOCAL_AGENT_FILES.task, { ...task, pid: '4242' });
    assert.equal(await readLocalTaskFile(dir), undefined, 'a pid that is not a number');
    await write(LOCAL_AGENT_FILES.exit, {
      taskArn: task.taskArn,
      exitCode: 1,
      signal: null,
      at: 'x',
      stoppedBy: 'someone',
    });
    assert.equal(await readLocalExitFile(dir), undefined, 'a stop by anyone but provisioning');
    await write(LOCAL_AGENT_FILES.stop, { taskArn: task.taskArn });
    assert.equal(readLocalStopFileSync(dir), undefined, 'no reason');
  });

  it('live under the repository unless configured', () => {
    assert.match(defaultLocalAgentsDir('dev'), /\/\.local-stack\/agents\/dev$/);
  });
});

describe('a stop provisioning made on purpose', () => {
  it("starts an ECS task's stopped reason with the fleet's name", () => {
    assert.equal(FLEET_STOP_PREFIX, `${FLEET_STOPPER}: `);
  });
});

describe('a local agent process', () => {
  it('is alive while it runs, with its own start time', () => {
    assert.ok(isAlive({ pid: process.pid }));
    const ticks = startTicksOf(process.pid);
    if (ticks === undefined) return; // no /proc here: the pid is all there is
    assert.ok(isAlive({ pid: process.pid, startTicks: ticks }));
    assert.equal(isAlive({ pid: process.pid, startTicks: ticks + 1 }), false, 'a reused pid');
  });

  it('is not alive when its pid is gone', () => {
    assert.equal(isAlive({ pid: 2 ** 22 + 1 }), false);
  });
});
