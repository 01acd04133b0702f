import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAlive, readLocalExitFile, readLocalTaskFile, type LocalExitFile } from '@ocf/agent-tasks';
import { createLocalProcessRunner, stopAllLocalAgents } from '../../src/adapters/local-process-runner.ts';
import { STAND_IN_AGENT } from '../../src/config.ts';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1B2c3';

async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Real child processes (the stand-in agent), no network beyond 127.0.0.1.
describe('local process runner', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ocf-agents-'));
  const runner = () =>
    createLocalProcessRunner({
      root,
      environment: 'test',
      command: [process.execPath, STAND_IN_AGENT],
      stopGraceMs: 3_000,
    });
  const first = runner();

  after(async () => {
    await stopAllLocalAgents(root, 1_000);
    await rm(root, { recursive: true, force: true });
  });

  it('starts an agent in its own private workspace, with its secret ARN and a health endpoint', async () => {
    const { taskArn } = await first.launch({ agentId: 'ada', clientToken: 'token-1', secretArn: SECRET });
    assert.match(taskArn, /^local:test:ada:/);
    const observed = await first.observe();
    assert.deepEqual(
      observed.map((t) => [t.taskArn, t.agentId]),
      [[taskArn, 'ada']],
    );

    const workspace = join(root, 'ada', 'workspace');
    assert.equal((await stat(workspace)).mode & 0o777, 0o700, 'no other user can read it');
    const task = await readLocalTaskFile(join(root, 'ada'));
    assert.ok(task && isAlive(task));
    const health = await until('the health endpoint', async () => {
      try {
        return await fetch(task.healthUrl);
      } catch {
        return undefined;
      }
    });
    assert.equal(health.status, 200);
    const stdout = await until('the agent to log', async () => {
      const text = await readFile(join(root, 'ada', 'stdout.log'), 'utf8');
      return text.includes('stand-in agent started') ? text : undefined;
    });
    assert.ok(stdout.includes(SECRET), 'it got the ARN of its secret');
  });

  it('never starts a second process for an agent, whatever the token', async () => {
    const [before] = await first.observe();
    const again = await first.launch({ agentId: 'ada', clientToken: 'token-2', secretArn: SECRET });
    assert.equal(again.taskArn, before?.taskArn);
    assert.equal((await first.observe()).length, 1);
  });

  it('lets a new provisioning process find the agents of the one before', async () => {
    const [before] = await first.observe();
    const successor = runner();
    assert.deepEqual(await successor.observe(), [before]);
  });

  it('notices a crash, and keeps the workspace for the next task', async () => {
    const dir = join(root, 'ada');
    const task = await readLocalTaskFile(dir);
    await writeFile(join(dir, 'workspace', 'crash'), '');
    await until('the agent to crash', async () => ((await first.observe()).length === 0 ? true : undefined));
    const exit = await until('exit.json', async () => {
      try {
        return JSON.parse(await readFile(join(dir, 'exit.json'), 'utf8')) as LocalExitFile;
      } catch {
        return undefined;
      }
    });
    assert.deepEqual([exit.taskArn, exit.exitCode], [task?.taskArn, 1]);

    await rm(join(dir, 'workspace', 'crash'));
    const { taskArn } = await first.launch({ agentId: 'ada', clientToken: 'token-3', secretArn: SECRET });
    assert.notEqual(taskArn, task?.taskArn);
    const starts = await until('the second start', async () => {
      const text = await readFile(join(dir, 'workspace', 'starts'), 'utf8').catch(() => '');
      return text === '2' ? text : undefined;
    });
    assert.equal(starts, '2', 'the workspace outlived the first process');
  });

  it('stops an agent with SIGTERM, and ignores a stop of a task that is not the current one', async () => {
    const dir = join(root, 'ada');
    const task = await readLocalTaskFile(dir);
    assert.ok(task);
    await first.stop({ taskArn: 'local:test:ada:not-this-one', agentId: 'ada', reason: 'stale' });
    assert.ok(isAlive(task));
    await first.stop({ taskArn: task.taskArn, agentId: 'ada', reason: 'retired' });
    assert.equal(isAlive(task), false);
    assert.match(
      await readFile(join(dir, 'workspace', 'journal.log'), 'utf8'),
      /stop\n$/,
      'it exited cleanly on SIGTERM',
    );
    assert.deepEqual(await first.observe(), []);
    assert.equal(await readLocalTaskFile(dir), undefined, 'no task.json names the stopped task');
    const exit = JSON.parse(await readFile(join(dir, 'exit.json'), 'utf8')) as LocalExitFile;
    assert.deepEqual(
      [exit.taskArn, exit.stoppedBy, exit.reason],
      [task.taskArn, 'ocf-provisioning', 'retired'],
    );
    const { archiveLocation } = await first.releaseStorage('ada');
    assert.equal(archiveLocation, `file://${join(root, 'ada', 'workspace')}`);
  });

  it('records every stopped task whole in exit.json, while its exit handler records the same exit', async () => {
    // The child's `exit` handler and the stop that saw the task end both write exit.json; through
    // one shared temporary name, two such writes once left a file that was not JSON at all.
    const agents = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
    const tasks = await Promise.all(
      agents.map(async (agentId) => {
        await first.launch({ agentId, clientToken: `token-${agentId}`, secretArn: SECRET });
        const task = await readLocalTaskFile(join(root, agentId));
        assert.ok(task);
        return task;
      }),
    );
    await Promise.all(
      tasks.map((t) => first.stop({ taskArn: t.taskArn, agentId: t.agentId, reason: 'sleep (idle)' })),
    );
    for (const task of tasks) {
      const exit = await readLocalExitFile(join(root, task.agentId));
      assert.deepEqual(
        [exit?.taskArn, exit?.stoppedBy, exit?.reason],
        [task.taskArn, 'ocf-provisioning', 'sleep (idle)'],
        `${task.agentId}'s exit.json`,
      );
    }
  });

  it('leaves no task.json with a dead pid when an agent whose task had died is retired', async () => {
    const dir = join(root, 'grace');
    await first.launch({ agentId: 'grace', clientToken: 'token-g', secretArn: SECRET });
    const task = await readLocalTaskFile(dir);
    assert.ok(task);
    await writeFile(join(dir, 'workspace', 'crash'), '');
    await until('the agent to crash', () => (isAlive(task) ? undefined : true));
    assert.deepEqual(await readLocalTaskFile(dir), task, 'a crashed task keeps its task.json for health');
    // Nothing runs, so the retirement stops nothing and goes straight to releasing the storage.
    await first.releaseStorage('grace');
    assert.equal(await readLocalTaskFile(dir), undefined);
    assert.equal((await stat(join(dir, 'workspace'))).isDirectory(), true, 'the memory is kept');
  });

  it('breaks a lock left by a launcher that died', async () => {
    await writeFile(join(root, 'ada', 'launch.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    const { taskArn } = await first.launch({ agentId: 'ada', clientToken: 'token-4', secretArn: SECRET });
    assert.ok(taskArn);
    assert.deepEqual(await stopAllLocalAgents(root, 2_000), ['ada']);
    assert.deepEqual(await first.observe(), []);
    assert.equal(await readLocalTaskFile(join(root, 'ada')), undefined);
  });
});
