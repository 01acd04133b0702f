import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthRecord } from '../src/domain/projection.ts';
import { healthHarness, POLICY } from './support/harness.ts';

/** What another replica would have written: `agentId` launched on `taskArn`, not seen by this monitor. */
function writtenElsewhere(like: HealthRecord, agentId: string, taskArn: string): HealthRecord {
  return { ...structuredClone(like), agentId, version: 1, task: { arn: taskArn, at: like.phaseAt } };
}

describe('health monitor: watching without scanning (ADR 0029)', () => {
  it('loads its view with one paged read, then polls without reading the table', async () => {
    const h = healthHarness(POLICY, { intervalMs: 600_000, pageSize: 2 });
    for (const id of ['ada', 'bob', 'cyd', 'dee', 'eve']) await h.launched(id);
    await h.monitor.pollOnce();
    assert.deepEqual(h.reads.pages, [2, 2, 1], 'the table once, two records a page');
    assert.equal(h.published('AgentRunning').length, 5);

    h.reads.pages.length = 0;
    const gets = h.reads.gets;
    const before = h.observer.calls;
    for (let i = 0; i < 10; i++) {
      h.clock.now += 15_000;
      const summary = await h.monitor.pollOnce();
      assert.equal(summary.watched, 5);
    }
    assert.equal(h.observer.calls - before, 10, 'every poll still looks at the tasks');
    assert.deepEqual(h.reads.pages, [], 'no page read by a poll');
    assert.equal(h.reads.gets - gets, 0, 'nothing changed: no record read either');

    // A decision still reads the record it changes (under the agent's lock).
    h.observer.tasks.set('arn:task/cyd-1', { status: 'stopped', health: 'unknown', exitCode: 1 });
    await h.monitor.pollOnce();
    assert.equal(h.published('AgentRestartRequested')[0]?.agentId, 'cyd');
    assert.ok(h.reads.gets > gets);
    assert.deepEqual(h.reads.pages, []);
  });

  it("learns another replica's records through the resync, a page per tick, spread over its interval", async () => {
    const h = healthHarness(POLICY, { intervalMs: 600_000, pageSize: 2 });
    for (const id of ['ada', 'bob', 'cyd']) await h.launched(id);
    await h.monitor.pollOnce();
    const ada = await h.store.get('ada');
    assert.ok(ada);
    await h.store.write(writtenElsewhere(ada, 'zed', 'arn:task/zed-1'));
    h.observer.tasks.set('arn:task/zed-1', { status: 'stopped', health: 'unknown', exitCode: 1 });

    await h.monitor.pollOnce();
    assert.equal(h.monitor.agentOfTask('arn:task/zed-1'), undefined, 'not in the view yet');
    assert.equal(await h.monitor.resyncStep(), false, 'no resync page due right after the load');

    // Tick once a minute: the load was the first cycle; the next one starts an interval later and
    // reads its two pages half an interval apart, one at a time, each of at most two records.
    h.reads.pages.length = 0;
    const learnt: number[] = [];
    for (let minute = 1; minute <= 20; minute++) {
      h.clock.now += 60_000;
      while (await h.monitor.resyncStep()) learnt.push(minute);
    }
    assert.deepEqual(learnt, [10, 15, 20], 'a page at 10, 15 and 20 minutes');
    assert.ok(h.reads.pages.every((n) => n <= 2));
    assert.equal(h.monitor.agentOfTask('arn:task/zed-1'), 'zed', 'in the view after its page was read');

    await h.monitor.pollOnce();
    assert.deepEqual(
      h.published('AgentStopped').map((e) => e.agentId),
      ['zed'],
    );
  });

  it('never decides on a stale view: the record is read again under the lock first', async () => {
    const h = healthHarness();
    await h.launched('ada');
    await h.monitor.pollOnce();
    // Another replica learnt that ada retired and wrote it; this monitor's view still watches her.
    const stored = await h.store.get('ada');
    assert.ok(stored);
    const retired: HealthRecord = {
      ...stored,
      version: stored.version + 1,
      retire: { at: new Date(h.clock.now).toISOString(), eventId: 'e-retired', correlationId: 'c-1' },
    };
    assert.equal(await h.store.write(retired), 'written');
    h.observer.tasks.set('arn:task/ada-1', { status: 'stopped', health: 'unknown', exitCode: 0 });
    h.clock.now += 1_000;
    await h.monitor.pollOnce();
    assert.deepEqual(h.published('AgentStopped'), []);
    assert.deepEqual(h.published('AgentRestartRequested'), []);
    // That read also refreshed the view: the next poll does not look at her task again.
    const calls = h.observer.calls;
    await h.monitor.pollOnce();
    assert.equal(h.observer.calls, calls, 'nothing left to watch');
  });

  it('counts agents by state from its view, without a scan per flush', async () => {
    const h = healthHarness(POLICY, { pageSize: 1 });
    await h.launched('ada');
    await h.launched('bob');
    await h.monitor.flushMetrics();
    const loads = h.reads.pages.length;
    await h.monitor.pollOnce();
    await h.monitor.flushMetrics();
    await h.monitor.flushMetrics();
    assert.equal(h.reads.pages.length, loads, 'the table was read once, for the first flush');
    const running = h.metrics.datums.filter(
      (d) => d.MetricName === 'AgentsByState' && d.Dimensions.some((x) => x.Value === 'running'),
    );
    assert.equal(running.at(-1)?.Value, 2);
  });
});
