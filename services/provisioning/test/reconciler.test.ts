import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskRunnerError } from '../src/ports.ts';
import { provisioningHarness } from './support/harness.ts';

describe('reconciler', () => {
  it('launches a hired agent once it is ready, tags it, passes its secret ARN, and reports it', async () => {
    const h = provisioningHarness();
    await h.deliver('AgentHired', {
      agentId: 'ada',
      name: 'Ada',
      title: 'Engineer',
      level: 'ic',
      department: 'Engineering',
      managerId: 'ceo',
    });
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running().length, 0, 'not before its secret and chat account');

    await h.hireReady('ada');
    const summary = await h.reconciler.runOnce();
    assert.equal(summary.launched, 1);
    const [task] = h.tasks.running('ada');
    assert.ok(task);
    assert.match(task.secretArn, /^arn:aws:secretsmanager:.*ocf\/test\/agents\/ada-/);
    const [launching] = h.published('AgentLaunching');
    assert.deepEqual(launching?.data, { agentId: 'ada', taskArn: task.taskArn });
    assert.equal((await h.store.get('ada'))?.launch?.reported, true);

    // Nothing changes on later passes: level-triggered, not a counter of events.
    for (let i = 0; i < 3; i++) await h.reconciler.runOnce();
    assert.equal(h.tasks.tasks.size, 1);
    assert.equal(h.published('AgentLaunching').length, 1);
  });

  it('makes one task of any number of deliveries of the same events', async () => {
    const h = provisioningHarness();
    for (let i = 0; i < 3; i++) {
      await h.hireReady('ada');
      await h.reconciler.runOnce();
    }
    assert.equal(h.tasks.tasks.size, 1);
  });

  it('adopts, after a restart of provisioning, a task started but never recorded', async () => {
    const h = provisioningHarness();
    await h.hireReady('ada');
    // The previous provisioning died between RunTask and its write.
    const taskArn = h.tasks.inject('ada');
    const fresh = h.restart();
    const summary = await fresh.runOnce();
    assert.deepEqual([summary.launched, summary.adopted], [0, 1]);
    assert.equal(h.tasks.running().length, 1);
    assert.equal((await h.store.get('ada'))?.launch?.taskArn, taskArn);
    assert.equal(h.published('AgentLaunching').length, 1);
  });

  it('reports a launch whose report was lost, once, without a second task', async () => {
    const h = provisioningHarness();
    await h.hireReady('ada');
    h.publisher.failWith = new Error('EventBridge unreachable');
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running().length, 1);
    assert.equal((await h.store.get('ada'))?.launch?.reported, false);
    h.publisher.failWith = undefined;
    await h.restart().runOnce();
    await h.restart().runOnce();
    assert.equal(h.tasks.tasks.size, 1);
    assert.equal(h.published('AgentLaunching').length, 1);
  });

  it('reports its launch again, as the same event, when the same hire is announced again (ADR 0024)', async () => {
    const h = provisioningHarness();
    await h.hireReady('ada');
    await h.reconciler.runOnce();
    const [first] = h.published('AgentLaunching');
    assert.ok(first);
    const hired = (await h.store.get('ada'))?.hired;
    assert.ok(hired);
    const hire = {
      agentId: 'ada',
      name: 'ada',
      title: 'Engineer',
      level: 'ic' as const,
      department: 'Engineering',
      managerId: 'ceo',
    };

    // The directory's cascade resync: the same hire (same time), under a new id.
    await h.deliver('AgentHired', hire, { at: new Date(hired.at) });
    await h.reconciler.runOnce();
    const launches = h.published('AgentLaunching');
    assert.equal(launches.length, 2);
    assert.equal(
      launches[1]?.metadata.eventId,
      first.metadata.eventId,
      'the same event: deduped where it arrived',
    );
    assert.equal(launches[1].metadata.occurredAt, first.metadata.occurredAt);
    assert.deepEqual(launches[1].data, first.data);
    assert.equal(h.tasks.tasks.size, 1, 'no second task');

    // A plain duplicate (the same id) changes nothing and reports nothing.
    await h.deliver('AgentHired', hire, { at: new Date(hired.at), eventId: hired.eventId });
    assert.equal(h.published('AgentLaunching').length, 2);

    // Once retired, there is no launch to report.
    await h.deliver('AgentRetired', { agentId: 'ada' });
    await h.reconciler.runOnce();
    await h.deliver('AgentHired', hire, { at: new Date(hired.at) });
    assert.equal(h.published('AgentLaunching').length, 2);
  });

  it('stops a duplicate and a task of an agent it never heard of', async () => {
    const h = provisioningHarness();
    await h.hireReady('ada');
    await h.reconciler.runOnce();
    const duplicate = h.tasks.inject('ada', new Date(h.clock.now + 1000).toISOString());
    const ghost = h.tasks.inject('ghost');
    const summary = await h.reconciler.runOnce();
    assert.equal(summary.stopped, 2);
    assert.equal(h.tasks.tasks.get(duplicate)?.state, 'stopped');
    assert.equal(h.tasks.tasks.get(ghost)?.state, 'stopped');
    assert.equal(h.tasks.running('ada').length, 1);
  });

  it('restarts with back-off: stops at once, launches at notBefore, reports the new task under the request', async () => {
    const h = provisioningHarness();
    await h.hireReady('ada');
    await h.reconciler.runOnce();
    const [first] = h.tasks.running('ada');
    h.clock.now += 5_000;
    const notBefore = new Date(h.clock.now + 30_000).toISOString();
    const request = await h.deliver('AgentRestartRequested', {
      agentId: 'ada',
      attempt: 1,
      notBefore,
      reason: 'unhealthy for 3 checks',
    });
    const stopping = await h.reconciler.runOnce();
    assert.equal(stopping.stopped, 1);
    assert.equal(h.tasks.tasks.get(first!.taskArn)?.state, 'stopped');
    assert.equal(stopping.wakeAt, undefined, 'the wake-up comes on the next pass, which sees no task');
    const waiting = await h.reconciler.runOnce();
    assert.equal(waiting.launched, 0);
    assert.equal(waiting.wakeAt, notBefore);

    h.clock.now = Date.parse(notBefore);
    const due = await h.reconciler.runOnce();
    assert.equal(due.launched, 1);
    const [second] = h.tasks.running('ada');
    assert.notEqual(second?.taskArn, first?.taskArn);
    const launches = h.published('AgentLaunching');
    assert.equal(launches.length, 2);
    assert.equal(launches[1]?.metadata.causationId, request.metadata.eventId);
    assert.equal((await h.store.get('ada'))?.launch?.restartEventId, request.metadata.eventId);
    await h.reconciler.runOnce();
    assert.equal(h.tasks.tasks.size, 2, 'the request is answered once');
  });

  it('replaces the task when the secret is rotated, so the agent reads the new value', async () => {
    const h = provisioningHarness();
    await h.hireReady('ada');
    await h.reconciler.runOnce();
    const [first] = h.tasks.running('ada');
    h.clock.now += 5_000;
    const rotated = await h.deliver('CredentialsRotated', {
      agentId: 'ada',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1B2c3',
      versionId: 'b1f0c6f2-0000-4000-8000-000000000002',
    });
    await h.reconciler.runOnce();
    assert.equal(h.tasks.tasks.get(first!.taskArn)?.stopReason, 'restart requested: credentials rotated');
    await h.reconciler.runOnce();
    const [second] = h.tasks.running('ada');
    assert.ok(second && second.taskArn !== first?.taskArn);
    assert.equal(h.published('AgentLaunching').at(-1)?.metadata.causationId, rotated.metadata.eventId);
    await h.reconciler.runOnce();
    assert.equal(h.tasks.tasks.size, 2);
  });

  it('does not relaunch a crashed agent by itself, nor a crash-looping one', async () => {
    const h = provisioningHarness();
    await h.hireReady('ada');
    await h.reconciler.runOnce();
    const [task] = h.tasks.running('ada');
    h.tasks.kill(task!.taskArn);
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running().length, 0, 'health decides when, with back-off');

    h.clock.now += 10;
    await h.deliver('AgentRestartRequested', {
      agentId: 'ada',
      attempt: 3,
      notBefore: new Date(h.clock.now).toISOString(),
      reason: 'x',
    });
    h.clock.now += 10;
    await h.deliver('AgentCrashLooping', {
      agentId: 'ada',
      failures: 3,
      windowSeconds: 600,
      lastReason: 'x',
    });
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running().length, 0, 'a crash loop stops the restarts');

    h.clock.now += 10;
    await h.deliver('AgentRestartRequested', {
      agentId: 'ada',
      attempt: 1,
      notBefore: new Date(h.clock.now).toISOString(),
      reason: 'operator',
    });
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running().length, 1, "an operator's restart lifts it");
  });

  it('retires: stops the task, releases the storage, reports AgentStopped and MemoryArchived once', async () => {
    const h = provisioningHarness();
    await h.hireReady('ada');
    await h.reconciler.runOnce();
    const [task] = h.tasks.running('ada');
    h.clock.now += 1000;
    const retired = await h.deliver(
      'AgentRetired',
      { agentId: 'ada', reason: 'reorg' },
      { source: 'ocf.directory' },
    );
    await h.reconciler.runOnce();
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running().length, 0);
    assert.deepEqual(h.tasks.released, ['ada']);
    const stopped = h.published('AgentStopped');
    assert.deepEqual(
      stopped.map((e) => e.data),
      [{ agentId: 'ada', taskArn: task!.taskArn, expected: true, reason: 'agent retired' }],
    );
    assert.equal(stopped[0]?.metadata.correlationId, retired.metadata.correlationId);
    assert.deepEqual(
      h.published('MemoryArchived').map((e) => e.data),
      [{ agentId: 'ada', archiveLocation: 'memory://agents/ada' }],
    );
  });

  it('retires an agent that never launched without reporting a task or memory it never had', async () => {
    const h = provisioningHarness();
    await h.deliver('AgentHired', {
      agentId: 'bob',
      name: 'Bob',
      title: 'T',
      level: 'ic',
      department: 'D',
      managerId: 'ceo',
    });
    h.clock.now += 1000;
    await h.deliver('AgentRetired', { agentId: 'bob' });
    await h.reconciler.runOnce();
    assert.equal(h.published('AgentStopped').length + h.published('MemoryArchived').length, 0);
    assert.ok((await h.store.get('bob'))?.retirement);
  });

  it('reports a launch that keeps failing as CascadeStepFailed, once, and retries it with back-off', async () => {
    const h = provisioningHarness();
    h.tasks.failLaunchesWith = new TaskRunnerError('RunTask rejected: no capacity', { retryable: true });
    await h.hireReady('ada');
    for (let i = 0; i < 5; i++) {
      await h.reconciler.runOnce();
      const failure = (await h.store.get('ada'))?.launchFailure;
      h.clock.now = Date.parse(failure!.retryAfter);
    }
    assert.equal((await h.store.get('ada'))?.launchFailure?.attempts, 5);
    const [failed, ...more] = h.published('CascadeStepFailed');
    assert.ok(failed);
    assert.equal(more.length, 0);
    assert.equal(failed.data.step, 'task');
    assert.match(failed.data.reason, /no capacity/);

    h.tasks.failLaunchesWith = undefined;
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running('ada').length, 1);
    assert.equal((await h.store.get('ada'))?.launchFailure, undefined);
  });

  it('queues a burst of 1,000 hires under the launch quota (100, then 20/s) through throttling', async () => {
    const h = provisioningHarness();
    const agents = Array.from({ length: 1000 }, (_, i) => `agent-${String(i).padStart(4, '0')}`);
    for (const agentId of agents) await h.hireReady(agentId);
    const start = h.clock.now;
    h.launchTimes.length = 0;
    // The account's quota is shared: some launches are throttled anyway.
    h.tasks.throttleNext = 25;
    const summary = await h.reconciler.runOnce();

    assert.equal(summary.launched, 1000);
    assert.equal(summary.failed, 0);
    assert.equal(h.tasks.running().length, 1000);
    assert.equal(new Set(h.tasks.running().map((t) => t.agentId)).size, 1000);
    assert.equal(h.published('AgentLaunching').length, 1000);

    const times = h.launchTimes.map((t) => t - start).sort((a, b) => a - b);
    // Token-bucket law: any n consecutive launches span at least (n - 100) / 20 seconds.
    for (let i = 0; i < times.length; i++) {
      for (let j = i + 100; j < times.length; j++) {
        const launches = j - i + 1;
        const minimumMs = ((launches - 100) / 20) * 1000;
        assert.ok(
          times[j]! - times[i]! >= minimumMs - 1,
          `${launches} launches in ${times[j]! - times[i]!} ms`,
        );
      }
    }
    const seconds = times.at(-1)! / 1000;
    assert.ok(seconds >= 45 && seconds < 120, `the burst took ${seconds} s of (virtual) time`);
  });
});
