import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assess } from '../../src/domain/decisions.ts';
import type { HealthRecord } from '../../src/domain/projection.ts';
import { POLICY } from '../support/harness.ts';
import { at, launchedRecord, newId, running, unhealthy } from '../support/records.ts';

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
});
