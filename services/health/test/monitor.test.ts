import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { subscribedEventTypes } from '@ocf/routing';
import { AGENT_STATES } from '@ocf/metrics';
import { createHandlers } from '../src/handlers/index.ts';
import { healthHarness } from './support/harness.ts';

const datum = (
  datums: { MetricName: string; Dimensions: readonly { Name: string; Value: string }[]; Value: number }[],
  name: string,
  dimension?: [string, string],
) =>
  datums.filter(
    (d) =>
      d.MetricName === name &&
      (dimension === undefined ||
        d.Dimensions.some((x) => x.Name === dimension[0] && x.Value === dimension[1])),
  );

describe('health monitor', () => {
  it('handles exactly the subscriptions of health', () => {
    const h = healthHarness();
    assert.deepEqual(Object.keys(createHandlers(h.monitor)).sort(), subscribedEventTypes('health').sort());
  });

  it('reports a launched task running once, however often it looks', async () => {
    const h = healthHarness();
    await h.launched('ada');
    for (let i = 0; i < 3; i++) await h.monitor.pollOnce();
    assert.deepEqual(h.published('AgentRunning'), [{ agentId: 'ada', taskArn: 'arn:task/ada-1' }]);
    assert.equal((await h.store.get('ada'))?.phase, 'running');
  });

  it('restarts a stopped task with exponential back-off and marks a crash loop after repeated failures', async () => {
    const h = healthHarness();
    await h.launched('ada');
    await h.monitor.pollOnce();

    for (let n = 1; n <= 2; n++) {
      const taskArn = `arn:task/ada-${n}`;
      h.observer.tasks.set(taskArn, {
        status: 'stopped',
        health: 'unknown',
        reason: 'Essential container exited',
        exitCode: 1,
      });
      await h.monitor.pollOnce();
      const restart = h.published('AgentRestartRequested').at(-1);
      assert.equal(restart?.attempt, n);
      assert.equal(
        Date.parse(restart.notBefore) - h.clock.now,
        10_000 * 2 ** (n - 1),
        `back-off of attempt ${n}`,
      );
      assert.equal((await h.store.get('ada'))?.phase, 'restarting');
      // Restarting: nothing to look at until provisioning launches the replacement.
      await h.monitor.pollOnce();
      assert.equal(h.published('AgentRestartRequested').length, n);
      h.clock.now += 15_000;
      await h.deliver('AgentLaunching', { agentId: 'ada', taskArn: `arn:task/ada-${n + 1}` });
      await h.monitor.pollOnce();
    }
    assert.deepEqual(
      h.published('AgentStopped').map((e) => [e.taskArn, e.expected, e.exitCode]),
      [
        ['arn:task/ada-1', false, 1],
        ['arn:task/ada-2', false, 1],
      ],
    );
    assert.equal(h.published('AgentRunning').length, 3, 'each replacement reported running');

    h.observer.tasks.set('arn:task/ada-3', { status: 'stopped', health: 'unknown', reason: 'OOM' });
    await h.monitor.pollOnce();
    assert.deepEqual(h.published('AgentCrashLooping'), [
      { agentId: 'ada', failures: 3, windowSeconds: 600, lastReason: 'OOM' },
    ]);
    assert.equal(h.published('AgentRestartRequested').length, 2, 'no restart after the crash loop');
    assert.equal((await h.store.get('ada'))?.phase, 'crash-looping');
    await h.monitor.pollOnce();
    assert.equal(h.published('AgentCrashLooping').length, 1);
  });

  it('publishes the events of one decision with increasing times, so their order survives', async () => {
    const h = healthHarness();
    await h.launched('ada');
    h.observer.tasks.set('arn:task/ada-1', { status: 'stopped', health: 'unknown' });
    await h.monitor.pollOnce();
    const [stopped, restart] = h.publisher.published.filter((e) =>
      ['AgentStopped', 'AgentRestartRequested'].includes(e.type),
    );
    assert.ok(stopped && restart);
    assert.ok(stopped.metadata.occurredAt < restart.metadata.occurredAt);
    assert.equal(restart.metadata.correlationId, stopped.metadata.correlationId, 'in the hire cascade');
  });

  it('publishes decided events again, with the same ids, when the first publish failed', async () => {
    const h = healthHarness();
    await h.launched('ada');
    h.publisher.failWith = new Error('EventBridge unreachable');
    await h.monitor.pollOnce();
    const outbox = (await h.store.get('ada'))?.outbox ?? [];
    assert.deepEqual(
      outbox.map((e) => e.type),
      ['AgentRunning'],
      'kept in the outbox',
    );
    h.publisher.failWith = undefined;
    await h.monitor.pollOnce();
    await h.monitor.pollOnce();
    const running = h.publisher.published.filter((e) => e.type === 'AgentRunning');
    assert.equal(running.length, 1);
    assert.equal(running[0]?.metadata.eventId, outbox[0]?.eventId);
    assert.equal((await h.store.get('ada'))?.outbox.length, 0);
  });

  it('stops watching a retired agent', async () => {
    const h = healthHarness();
    await h.launched('ada');
    await h.monitor.pollOnce();
    await h.deliver('AgentRetired', { agentId: 'ada' }, 'ocf.directory');
    h.observer.tasks.set('arn:task/ada-1', { status: 'stopped', health: 'unknown' });
    h.clock.now += 1_000;
    await h.monitor.pollOnce();
    assert.deepEqual(h.published('AgentStopped'), []);
    assert.deepEqual(h.published('AgentRestartRequested'), []);
  });

  it('publishes agents by state (every state, zeros included), hires, restarts and step latencies', async () => {
    const h = healthHarness();
    await h.launched('ada');
    await h.deliver(
      'AgentHired',
      { agentId: 'bob', name: 'Bob', title: 'T', level: 'ic', department: 'D', managerId: 'ceo' },
      'ocf.directory',
    );
    await h.monitor.pollOnce();
    h.observer.tasks.set('arn:task/ada-1', { status: 'stopped', health: 'unknown' });
    await h.monitor.pollOnce();
    await h.monitor.flushMetrics();
    const datums = h.metrics.datums;
    const byState = datum(datums, 'AgentsByState');
    assert.equal(byState.length, AGENT_STATES.length);
    assert.equal(datum(byState, 'AgentsByState', ['State', 'restarting'])[0]?.Value, 1);
    assert.equal(datum(byState, 'AgentsByState', ['State', 'hired'])[0]?.Value, 1);
    assert.equal(datum(byState, 'AgentsByState', ['State', 'retired'])[0]?.Value, 0);
    assert.equal(
      datum(datums, 'Hires').reduce((n, d) => n + d.Value, 0),
      2,
    );
    assert.equal(datum(datums, 'Restarts').length, 1);
    assert.deepEqual(
      datum(datums, 'CascadeStepLatency').map((d) => [
        d.Dimensions.find((x) => x.Name === 'Step')?.Value,
        d.Value,
      ]),
      [
        ['credentials', 1_000],
        ['chat-account', 2_000],
        ['task', 4_000],
      ],
    );
    assert.deepEqual(
      datum(datums, 'CascadeLatency').map((d) => d.Value),
      [4_000],
    );
    assert.ok(
      datums.every((d) => d.Dimensions[0]?.Name === 'Environment' && d.Dimensions[0].Value === 'test'),
    );
    await h.monitor.flushMetrics();
    assert.equal(datum(h.metrics.datums, 'Hires').length, 2, 'counters are sent once');
  });

  it('times the retirement cascade and counts the agent retired once every step is done', async () => {
    const h = healthHarness();
    await h.launched('ada');
    await h.monitor.pollOnce();
    await h.deliver('AgentRetired', { agentId: 'ada' }, 'ocf.directory');
    h.clock.now += 500;
    await h.deliver('AgentStopped', { agentId: 'ada', taskArn: 'arn:task/ada-1', expected: true });
    await h.deliver('CredentialsRevoked', {
      agentId: 'ada',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1B2c3',
      deletionDate: '2026-12-25T00:00:00.000Z',
    });
    await h.deliver('ChatAccountDeactivated', { agentId: 'ada', matrixUserId: '@agent-ada:fleet.test' });
    await h.monitor.flushMetrics();
    assert.equal(datum(h.metrics.datums, 'AgentsByState', ['State', 'retiring'])[0]?.Value, 1);
    h.clock.now += 500;
    await h.deliver('MemoryArchived', { agentId: 'ada', archiveLocation: 'efs://fs-1/agents/ada' });
    await h.monitor.flushMetrics();
    assert.equal(datum(h.metrics.datums, 'AgentsByState', ['State', 'retired']).at(-1)?.Value, 1);
    assert.deepEqual(
      datum(h.metrics.datums, 'CascadeLatency', ['Cascade', 'retire']).map((d) => d.Value),
      [1_000],
    );
    assert.equal(datum(h.metrics.datums, 'Retirements').length, 1);
  });
});
