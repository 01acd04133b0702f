import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent } from '@ocf/events';
import { assess } from '../../src/domain/decisions.ts';
import { agentState, applyEvent, type HealthRecord } from '../../src/domain/projection.ts';
import { POLICY } from '../support/harness.ts';
import { at, fold, HIRED, launchedRecord, newId, running, SECRET } from '../support/records.ts';

describe('health projection', () => {
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

  it('reports the running task again, as the same event, when the same hire is announced again (ADR 0024)', () => {
    const up = assess(launchedRecord(), running, at(10), POLICY, 'test', newId).record;
    const report = up.outbox.at(-1);
    assert.equal(report?.type, 'AgentRunning');
    const published = { ...up, outbox: [] };
    const hire = published.hire;
    assert.ok(hire);

    // The directory's cascade resync: the same hire (its time), a new id.
    const repeat = {
      ...createEvent('AgentHired', HIRED, { now: new Date(hire.at) }),
      source: 'ocf.directory',
    };
    const again = applyEvent(published, repeat, 'test');
    assert.equal(again.changed, true);
    assert.deepEqual(again.record.outbox, [report], 'the same event: same id, same time');
    assert.equal(again.record.phase, 'running');
    assert.equal(applyEvent(again.record, repeat, 'test').changed, false, 'owed once, not twice');

    // A plain duplicate of the hire, or a repeat before the task was seen running, reports nothing.
    const duplicate = {
      ...createEvent('AgentHired', HIRED, { now: new Date(hire.at), eventId: hire.eventId }),
      source: 'ocf.directory',
    };
    assert.equal(applyEvent(published, duplicate, 'test').changed, false);
    assert.equal(applyEvent(launchedRecord(), repeat, 'test').changed, false);
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

  it('retires an agent whose task never launched once its secret and account are gone', () => {
    const record = fold([
      ['AgentHired', HIRED, 0],
      ['CredentialsIssued', { agentId: 'ada', secretArn: SECRET, restored: false }, 1],
      ['ChatAccountReady', { agentId: 'ada', matrixUserId: '@agent-ada:f.test' }, 2],
      ['AgentRetired', { agentId: 'ada' }, 3],
      ['CredentialsRevoked', { agentId: 'ada', secretArn: SECRET, deletionDate: at(34).toISOString() }, 4],
    ])!;
    assert.equal(agentState(record), 'retiring', 'the chat account is still active');
    const done = applyEvent(
      record,
      {
        ...createEvent(
          'ChatAccountDeactivated',
          { agentId: 'ada', matrixUserId: '@agent-ada:f.test' },
          { now: at(5) },
        ),
        source: 'ocf.bridge',
      },
      'test',
    ).record;
    assert.equal(agentState(done), 'retired', 'no task was launched, so none has to stop');
  });
});
