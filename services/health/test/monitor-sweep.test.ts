import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthHarness, POLICY } from './support/harness.ts';

const arn = (agentId: string) => `arn:task/${agentId}-1`;

describe('health monitor: settled tasks by a paced sweep, the rest every poll (ADR 0036)', () => {
  it('polls only tasks that are not settled; a running, reported one waits for its sweep page', async () => {
    const h = healthHarness(POLICY, {}, { intervalMs: 60_000, pageSize: 2 });
    for (const id of ['ada', 'bob', 'cyd']) await h.launched(id);
    // Launching: every poll looks at them, and reports them running.
    const first = await h.monitor.pollUnsettled();
    assert.equal(first.watched, 3);
    assert.equal(h.published('AgentRunning').length, 3);

    // Settled now: a poll looks at nothing, however often it runs.
    h.observer.asked.length = 0;
    for (let i = 0; i < 5; i++) {
      h.clock.now += 1_000;
      assert.equal((await h.monitor.pollUnsettled()).watched, 0);
    }
    assert.deepEqual(h.observer.asked, [], 'no task described by a poll');

    // A new launch is not settled: the poll looks at it, and only at it.
    await h.launched('dee');
    await h.monitor.pollUnsettled();
    assert.deepEqual(h.observer.asked, [[arn('dee')]]);
  });

  it('looks at every settled task once per interval, a page at a time spread over it', async () => {
    const h = healthHarness(POLICY, {}, { intervalMs: 60_000, pageSize: 2 });
    const ids = ['ada', 'bob', 'cyd', 'dee', 'eve'];
    for (const id of ids) await h.launched(id);
    await h.monitor.pollUnsettled();
    // The first cycle (no page count learnt yet) reads its three pages at once.
    h.observer.asked.length = 0;
    while (await h.monitor.sweepStep());
    assert.deepEqual(h.observer.asked.flat().sort(), ids.map(arn).sort(), 'every task once');
    assert.ok(h.observer.asked.every((page) => page.length <= 2));

    // Then one cycle a minute after the first began, its three pages 20 s apart.
    h.observer.asked.length = 0;
    const looked: number[] = [];
    for (let s = 1; s <= 100; s++) {
      h.clock.now += 1_000;
      while (await h.monitor.sweepStep()) looked.push(s);
    }
    assert.deepEqual(looked, [60, 80, 100]);
    assert.deepEqual(h.observer.asked.flat().sort(), ids.map(arn).sort());
  });

  it('finds a failing health check in its sweep page, then polls the task until it is replaced', async () => {
    const h = healthHarness(POLICY, {}, { intervalMs: 60_000, pageSize: 100 });
    await h.launched('ada');
    await h.launched('bob');
    await h.monitor.pollUnsettled();
    while (await h.monitor.sweepStep());

    h.observer.tasks.set(arn('bob'), { status: 'running', health: 'unhealthy', reason: 'check failing' });
    h.clock.now += 30_000;
    assert.equal(await h.monitor.sweepStep(), false, 'not due yet');
    await h.monitor.pollUnsettled();
    assert.deepEqual(h.published('AgentUnhealthy'), [], 'a poll does not look at a settled task');

    h.clock.now += 30_000;
    assert.equal(await h.monitor.sweepStep(), true);
    assert.deepEqual(
      h.published('AgentUnhealthy').map((e) => e.agentId),
      ['bob'],
    );
    // Unhealthy is not settled: the poll follows it through the grace, to the restart.
    h.observer.asked.length = 0;
    h.clock.now += POLICY.unhealthyGraceMs;
    await h.monitor.pollUnsettled();
    assert.deepEqual(h.observer.asked, [[arn('bob')]]);
    assert.deepEqual(
      h.published('AgentRestartRequested').map((e) => e.agentId),
      ['bob'],
    );
  });

  it('looks at a settled task at once when it is triggered (an ECS task state change)', async () => {
    const h = healthHarness(POLICY, {}, { intervalMs: 600_000 });
    await h.launched('ada');
    await h.monitor.pollUnsettled();
    while (await h.monitor.sweepStep());
    h.observer.tasks.set(arn('ada'), { status: 'stopped', health: 'unknown', exitCode: 137 });
    await h.monitor.checkAgents([h.monitor.agentOfTask(arn('ada')) ?? '']);
    assert.deepEqual(
      h.published('AgentStopped').map((e) => e.agentId),
      ['ada'],
    );
  });
});
