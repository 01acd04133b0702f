import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent, type AnyFleetEvent, type EventDataInput, type EventType } from '@ocf/events';
import {
  agentState,
  applyEvent,
  assess,
  type HealthRecord,
  type TaskObservation,
} from '../../src/domain/agent-health.ts';
import { POLICY, T0 } from '../support/harness.ts';

const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
let ids = 0;
const newId = () => `id-${++ids}`;

function fold(events: [EventType, EventDataInput<EventType>, number][]): HealthRecord | undefined {
  let record: HealthRecord | undefined;
  for (const [type, data, second] of events) {
    record = applyEvent(
      record,
      { ...createEvent(type, data as never, { now: at(second) }), source: 'ocf.test' } as AnyFleetEvent,
      'test',
    ).record;
  }
  return record;
}

const HIRED: EventDataInput<'AgentHired'> = {
  agentId: 'ada',
  name: 'Ada',
  title: 'T',
  level: 'ic',
  department: 'D',
  managerId: 'ceo',
};
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1B2c3';
const launchedRecord = () =>
  fold([
    ['AgentHired', HIRED, 0],
    ['CredentialsIssued', { agentId: 'ada', secretArn: SECRET, restored: false }, 1],
    ['ChatAccountReady', { agentId: 'ada', matrixUserId: '@agent-ada:f.test' }, 2],
    ['AgentLaunching', { agentId: 'ada', taskArn: 'arn:task/1' }, 3],
  ])!;

const running: TaskObservation = { status: 'running', health: 'healthy' };
const unhealthy: TaskObservation = { status: 'running', health: 'unhealthy', reason: 'probe 503' };

describe('agent health', () => {
  it("follows the cascade's states as the directory names them", () => {
    assert.equal(agentState(fold([['AgentHired', HIRED, 0]])!), 'hired');
    const record = launchedRecord();
    assert.equal(agentState(record), 'launching');
    const up = assess(record, running, at(10), POLICY, 'test', newId).record;
    assert.equal(agentState(up), 'running');
    const failed = fold([
      ['AgentHired', HIRED, 0],
      ['CascadeStepFailed', { agentId: 'ada', step: 'chat-account', reason: 'homeserver down' }, 1],
    ])!;
    assert.equal(agentState(failed), 'failed');
  });

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

  it('starts a re-hired agent afresh, and lets an operator lift a crash loop with a new launch', () => {
    const looping: HealthRecord = {
      ...launchedRecord(),
      phase: 'crash-looping',
      failures: [at(5).toISOString()],
    };
    const relaunched = applyEvent(
      looping,
      {
        ...createEvent('AgentLaunching', { agentId: 'ada', taskArn: 'arn:task/9' }, { now: at(30) }),
        source: 'ocf.provisioning',
      },
      'test',
    ).record;
    assert.equal(relaunched.phase, 'launching');
    assert.deepEqual(relaunched.failures, []);

    const rehired = applyEvent(
      { ...looping, retire: { at: at(40).toISOString(), eventId: 'r', correlationId: 'r' } },
      { ...createEvent('AgentHired', HIRED, { now: at(50) }), source: 'ocf.directory' },
      'test',
    ).record;
    assert.equal(agentState(rehired), 'hired');
    assert.equal(rehired.task, undefined);
    assert.deepEqual(rehired.failures, []);
  });

  it('ignores duplicates and older facts', () => {
    const record = launchedRecord();
    const older = applyEvent(
      record,
      {
        ...createEvent('AgentLaunching', { agentId: 'ada', taskArn: 'arn:task/0' }, { now: at(2) }),
        source: 'ocf.provisioning',
      },
      'test',
    );
    assert.equal(older.changed, false);
    const again = applyEvent(
      record,
      {
        ...createEvent(
          'CredentialsIssued',
          { agentId: 'ada', secretArn: SECRET, restored: false },
          { now: at(9) },
        ),
        source: 'x',
      },
      'test',
    );
    assert.equal(again.changed, false);
  });
});
