import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assess } from '../../src/domain/decisions.ts';
import type { HealthRecord } from '../../src/domain/projection.ts';
import { POLICY } from '../support/harness.ts';
import { agentState, applyEvent, isWatched } from '../../src/domain/projection.ts';
import { createEvent, type AnyFleetEvent, type EventDataInput, type EventType } from '@ocf/events';
import { at, launchedRecord, newId, running, unhealthy } from '../support/records.ts';

const fleetEvent = <T extends EventType>(type: T, data: EventDataInput<T>, second: number): AnyFleetEvent =>
  ({ ...createEvent(type, data, { now: at(second) }), source: 'ocf.test' }) as AnyFleetEvent;

describe('health decisions', () => {
  it('reports an unhealthy task, and replaces it only after the grace period, without calling it stopped', () => {
    let record = assess(launchedRecord(), running, at(10), POLICY, 'test', newId).record;
    const first = assess(record, unhealthy, at(20), POLICY, 'test', newId);
    assert.deepEqual(first.record.outbox.at(-1)?.type, 'AgentUnhealthy');
    record = first.record;
    assert.equal(assess(record, unhealthy, at(40), POLICY, 'test', newId).changed, false, 'within the grace');
    const replaced = assess(record, unhealthy, at(51), POLICY, 'test', newId).record;
    assert.deepEqual(
      replaced.outbox.slice(-1).map((e) => e.type),
      ['AgentRestartRequested'],
    );
    assert.ok(!replaced.outbox.some((e) => e.type === 'AgentStopped'));
    assert.equal(replaced.phase, 'restarting');
  });

  it('gives a task that just started the grace period before calling it unhealthy', () => {
    const record = launchedRecord();
    assert.equal(assess(record, unhealthy, at(10), POLICY, 'test', newId).changed, false);
    const late = assess(record, unhealthy, at(40), POLICY, 'test', newId).record;
    assert.equal(late.phase, 'unhealthy');
  });

  it('recovers from unhealthy to running, and reports it', () => {
    let record = assess(launchedRecord(), running, at(10), POLICY, 'test', newId).record;
    record = assess(record, unhealthy, at(20), POLICY, 'test', newId).record;
    const back = assess(record, running, at(25), POLICY, 'test', newId);
    assert.equal(back.record.phase, 'running');
    assert.equal(back.record.outbox.at(-1)?.type, 'AgentRunning');
  });

  it('does not count a stop provisioning made on purpose (a replacement) as a failure', () => {
    const record = assess(launchedRecord(), running, at(10), POLICY, 'test', newId).record;
    const replaced = assess(
      record,
      {
        status: 'stopped',
        health: 'unknown',
        reason: 'ocf-provisioning: restart requested: credentials rotated',
        byFleet: true,
      },
      at(20),
      POLICY,
      'test',
      newId,
    ).record;
    assert.equal(replaced.phase, 'idle');
    assert.deepEqual(replaced.failures, []);
    assert.deepEqual(replaced.outbox.slice(record.outbox.length), []);
  });

  it('only counts failures within the window towards a crash loop', () => {
    let record: HealthRecord = {
      ...launchedRecord(),
      failures: [at(-3600).toISOString(), at(-3000).toISOString()],
    };
    record = assess(record, { status: 'stopped', health: 'unknown' }, at(10), POLICY, 'test', newId).record;
    assert.equal(record.phase, 'restarting');
    assert.equal(record.failures.length, 1);
  });

  it('gives up on a task that never starts', () => {
    const record = launchedRecord();
    assert.equal(
      assess(record, { status: 'pending', health: 'unknown' }, at(60), POLICY, 'test', newId).changed,
      false,
    );
    const late = assess(
      record,
      { status: 'pending', health: 'unknown' },
      at(124),
      POLICY,
      'test',
      newId,
    ).record;
    assert.equal(late.phase, 'restarting');
    assert.match(late.lastReason ?? '', /not running 120 s after its launch/);
  });

  describe('sleep and wake (ADR 0019)', () => {
    it('treats a sleep as no failure: asleep, not watched, no restart; a crash after the wake still restarts', () => {
      let record = assess(launchedRecord(), running, at(10), POLICY, 'test', newId).record;
      const stopped = assess(
        record,
        {
          status: 'stopped',
          health: 'unknown',
          reason: 'stopped by provisioning: sleep (idle)',
          byFleet: true,
        },
        at(20),
        POLICY,
        'test',
        newId,
      ).record;
      assert.ok(!stopped.outbox.some((e) => e.type === 'AgentRestartRequested' || e.type === 'AgentStopped'));
      record = applyEvent(
        stopped,
        fleetEvent('AgentAsleep', { agentId: 'ada', taskArn: 'arn:task/1', reason: 'idle' }, 21),
        'test',
      ).record;
      assert.equal(record.phase, 'asleep');
      assert.equal(agentState(record), 'asleep');
      assert.equal(isWatched(record), false);
      assert.deepEqual(record.failures, []);

      // Woken: a Wakes count, then the new task's WakeLatency from the message to running.
      const awake = applyEvent(
        record,
        fleetEvent(
          'AgentAwake',
          { agentId: 'ada', taskArn: 'arn:task/2', wakeSeenAt: at(29).toISOString() },
          30,
        ),
        'test',
      );
      assert.deepEqual(
        awake.metrics.map((m) => m.MetricName),
        ['Wakes'],
      );
      record = applyEvent(
        awake.record,
        fleetEvent('AgentLaunching', { agentId: 'ada', taskArn: 'arn:task/2' }, 30),
        'test',
      ).record;
      const up = assess(record, running, at(45), POLICY, 'test', newId);
      const latency = up.metrics.find((m) => m.MetricName === 'WakeLatency');
      assert.equal(latency?.Value, 16_000);
      // A crash of the awake agent is a failure again, with a restart.
      const crashed = assess(
        up.record,
        { status: 'stopped', health: 'unknown', reason: 'exit 1', exitCode: 1 },
        at(50),
        POLICY,
        'test',
        newId,
      );
      assert.deepEqual(
        crashed.record.outbox.slice(-2).map((e) => e.type),
        ['AgentStopped', 'AgentRestartRequested'],
      );
    });

    it('ignores a sleep older than the launch that woke the agent', () => {
      const record = applyEvent(
        launchedRecord(),
        fleetEvent('AgentAsleep', { agentId: 'ada', taskArn: 'arn:task/0', reason: 'idle' }, 2),
        'test',
      );
      assert.equal(record.changed, false);
    });
  });
});
