import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskRunnerError } from '../src/ports.ts';
import { provisioningHarness } from './support/harness.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `agent-${String(i).padStart(2, '0')}`);

describe('reconciler: passes without scanning (ADR 0029)', () => {
  it('a triggered pass reads only the agents the events named, and only their tasks matter', async () => {
    const h = provisioningHarness({ resyncIntervalMs: 60_000, resyncPageSize: 2 });
    for (const id of ids(5)) await h.hireReady(id);
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running().length, 5);

    h.reads.pages.length = 0;
    h.reads.gets = 0;
    const whole = h.reconciler.passes;
    await h.hireReady('zed');
    h.reconciler.trigger('ChatAccountReady zed', 'zed');
    const summary = await h.reconciler.runDue();
    assert.equal(summary?.launched, 1);
    assert.equal(summary.desired, 1, 'one agent looked at');
    assert.deepEqual(h.reads.pages, [], 'no page read');
    assert.equal(h.reads.gets, 1, 'zed read, nobody else');
    assert.equal(h.tasks.running('zed').length, 1);
    assert.equal(h.published('AgentLaunching').length, 6);
    assert.equal(h.reconciler.passes, whole, 'a pass over one agent is not a whole pass');

    // Nothing named and nothing due: the loop has nothing to do, and reads nothing.
    assert.equal(await h.reconciler.runDue(), undefined);
    assert.deepEqual(h.reads.pages, []);
  });

  it('a triggered pass does not stop the tasks of agents it did not read', async () => {
    const h = provisioningHarness({ resyncPageSize: 2 });
    await h.hireReady('ada');
    await h.hireReady('bob');
    await h.reconciler.runOnce();
    const stray = h.tasks.inject(undefined);
    h.reconciler.trigger('AgentRetired ada', 'ada');
    await h.reconciler.runDue();
    assert.equal(h.tasks.running('bob').length, 1, "bob's task stands");
    assert.equal(h.tasks.tasks.get(stray)?.state, 'running', 'a stray waits for the end of a resync cycle');
  });

  it('the resync reads a page per tick, spread over its interval, and visits every agent in it', async () => {
    const h = provisioningHarness({ resyncIntervalMs: 60_000, resyncPageSize: 2 });
    for (const id of ids(6)) await h.hireReady(id);
    await h.reconciler.runOnce();
    assert.equal(h.tasks.running().length, 6);
    h.reads.pages.length = 0;

    // Lost events: an agent became ready but no trigger came (the harness's handlers trigger
    // nothing), and a task of an agent nobody hired survives from before a crash.
    await h.hireReady('agent-06');
    const orphan = h.tasks.inject('ghost');

    const pagesAt: number[] = [];
    const wholeAt: number[] = [];
    for (let second = 5; second <= 120; second += 5) {
      h.clock.now += 5_000;
      const passes = h.reconciler.passes;
      if ((await h.reconciler.runDue()) !== undefined) pagesAt.push(second);
      if (h.reconciler.passes > passes) wholeAt.push(second);
    }
    assert.deepEqual(wholeAt, [105], 'the cycle counts as a whole pass when it ends');
    // The full pass counted as a cycle of three pages: the next starts an interval later, its
    // pages 20 s apart; the page the table grew by is read at once; the next cycle at 120 s.
    assert.deepEqual(pagesAt, [60, 80, 100, 105, 120]);
    assert.ok(
      h.reads.pages.every((n) => n <= 2),
      `pages: ${h.reads.pages.join(',')}`,
    );
    assert.equal(h.tasks.running('agent-06').length, 1, 'the agent whose trigger was lost runs');
    assert.equal(h.tasks.tasks.get(orphan)?.state, 'stopped', "the unknown agent's task, at the cycle's end");
    assert.equal(h.tasks.running().length, 7);
  });

  it('wakes for an agent whose back-off ends, and reads only it', async () => {
    const h = provisioningHarness({ resyncIntervalMs: 600_000, resyncPageSize: 2 });
    for (const id of ids(4)) await h.hireReady(id);
    await h.reconciler.runOnce();
    h.clock.now += 5_000;
    const notBefore = new Date(h.clock.now + 30_000).toISOString();
    await h.deliver('AgentRestartRequested', {
      agentId: 'agent-01',
      attempt: 1,
      notBefore,
      reason: 'unhealthy',
    });
    h.reconciler.trigger('AgentRestartRequested agent-01', 'agent-01');
    assert.equal((await h.reconciler.runDue())?.stopped, 1);
    h.reconciler.trigger('again', 'agent-01');
    assert.equal((await h.reconciler.runDue())?.wakeAt, notBefore);

    h.reads.pages.length = 0;
    h.reads.gets = 0;
    h.clock.now += 10_000;
    assert.equal(await h.reconciler.runDue(), undefined, 'not yet due');
    h.clock.now = Date.parse(notBefore);
    const due = await h.reconciler.runDue();
    assert.equal(due?.launched, 1);
    assert.equal(due.desired, 1);
    assert.deepEqual(h.reads.pages, []);
    assert.equal(h.reads.gets, 1);
    assert.equal(await h.reconciler.runDue(), undefined, 'the wake-up is spent');
  });

  it('tries a failed launch again when its back-off ends, without waiting for the resync', async () => {
    const h = provisioningHarness({ resyncIntervalMs: 600_000 });
    await h.reconciler.runOnce();
    h.tasks.failLaunchesWith = new TaskRunnerError('RunTask rejected: no capacity', { retryable: true });
    await h.hireReady('ada');
    h.reconciler.trigger('ChatAccountReady ada', 'ada');
    assert.equal((await h.reconciler.runDue())?.failed, 1);
    const failure = (await h.store.get('ada'))?.launchFailure;
    assert.ok(failure);
    h.tasks.failLaunchesWith = undefined;
    assert.equal(await h.reconciler.runDue(), undefined, 'not before its back-off ends');
    h.clock.now = Date.parse(failure.retryAfter);
    assert.equal((await h.reconciler.runDue())?.launched, 1);
    assert.equal(h.tasks.running('ada').length, 1);
  });

  it('a failed pass leaves its agents for the next one', async () => {
    const h = provisioningHarness({ resyncPageSize: 2 });
    await h.reconciler.runOnce();
    await h.hireReady('ada');
    h.reconciler.trigger('ChatAccountReady ada', 'ada');
    const observe = h.runner.observe.bind(h.runner);
    h.runner.observe = () => Promise.reject(new Error('ECS unreachable'));
    await assert.rejects(h.reconciler.runDue(), /ECS unreachable/);
    h.runner.observe = observe;
    assert.equal((await h.reconciler.runDue())?.launched, 1);
  });
});

describe('reconciler: a resync page starts from the last listing (ADR 0037)', () => {
  /** Counts the runner's listings of every task. */
  function countListings(h: ReturnType<typeof provisioningHarness>): { count: number } {
    const counter = { count: 0 };
    const observe = h.runner.observe.bind(h.runner);
    h.runner.observe = (call) => {
      counter.count++;
      return observe(call);
    };
    return counter;
  }

  it('lists the tasks once per cycle while nothing needs doing, not once per page', async () => {
    const h = provisioningHarness({ resyncIntervalMs: 60_000, resyncPageSize: 2 });
    for (const id of ids(6)) await h.hireReady(id);
    await h.reconciler.runOnce();
    const listings = countListings(h);
    const pages: number[] = [];
    for (let second = 5; second <= 120; second += 5) {
      h.clock.now += 5_000;
      if ((await h.reconciler.runDue()) !== undefined) pages.push(second);
    }
    assert.deepEqual(pages, [60, 80, 100, 120], 'a cycle of three pages, and the next one begun');
    assert.equal(listings.count, 1, 'one listing, at the end of the cycle (its strays)');
    assert.equal(h.tasks.running().length, 6);
  });

  it('lists again before it acts: a task started since the last listing is adopted, not launched twice', async () => {
    const h = provisioningHarness({ resyncIntervalMs: 60_000, resyncPageSize: 2 });
    for (const id of ids(4)) await h.hireReady(id);
    await h.reconciler.runOnce();
    // Ready without a trigger (the event was lost), and its task started behind the listing's
    // back, as by a replica that crashed before recording it. Pages are in key order: "agent-00"
    // and "agent-000" make the first of three, so it is not the cycle's end (which lists anyway).
    await h.hireReady('agent-000');
    h.tasks.inject('agent-000');
    const listings = countListings(h);
    h.clock.now += 60_000;
    const summary = await h.reconciler.runDue();
    assert.equal(listings.count, 1, 'the old listing showed no task for agent-000: listed again');
    assert.deepEqual({ launched: summary?.launched, adopted: summary?.adopted }, { launched: 0, adopted: 1 });
    assert.equal(h.tasks.running('agent-000').length, 1);
  });
});
