import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createEvent, type AnyFleetEvent, type EventDataInput, type EventType } from '@ocf/events';
import { applyEvent, deriveStatus, EMPTY_PROGRESS, startRetirement } from '../src/domain/status.ts';

const agentId = 'ada-lovelace';
const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, second));
function event<T extends EventType>(type: T, data: EventDataInput<T>, second: number): AnyFleetEvent {
  return { ...createEvent(type, data, { now: at(second) }), source: 'ocf.test' } as AnyFleetEvent;
}
const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-lovelace-AbCdEf';
const happyPath = [
  event('CredentialsIssued', { agentId, secretArn, restored: false }, 1),
  event('ChatAccountReady', { agentId, matrixUserId: '@agent-ada-lovelace:localhost' }, 2),
  event('AgentLaunching', { agentId, taskArn: 'task-1' }, 3),
  event('AgentRunning', { agentId, taskArn: 'task-1' }, 4),
];
const fold = (events: readonly AnyFleetEvent[]) => events.reduce(applyEvent, EMPTY_PROGRESS);

describe('status projection', () => {
  it('walks hired -> credentials-issued -> chat-account-ready -> launching -> running', () => {
    const statuses = happyPath.map((_, i) => deriveStatus(fold(happyPath.slice(0, i + 1))));
    assert.deepEqual(statuses, ['credentials-issued', 'chat-account-ready', 'launching', 'running']);
    assert.equal(deriveStatus(EMPTY_PROGRESS), 'hired');
  });

  it('gives the same status for any order and any duplicates of the same events (property)', () => {
    const withHealth = [
      ...happyPath,
      event('AgentUnhealthy', { agentId, taskArn: 'task-1', reason: 'health check failed' }, 5),
      event(
        'AgentRestartRequested',
        { agentId, attempt: 1, notBefore: at(7).toISOString(), reason: 'unhealthy' },
        6,
      ),
    ];
    const expected = deriveStatus(fold(withHealth));
    assert.equal(expected, 'restarting');
    fc.assert(
      fc.property(
        fc.shuffledSubarray(withHealth, { minLength: withHealth.length }),
        fc.array(fc.constantFrom(...withHealth)),
        (order, duplicates) => {
          assert.equal(deriveStatus(fold([...order, ...duplicates])), expected);
        },
      ),
    );
  });

  it('counts the restarts health asked for, once each, and keeps the latest one and why (issue 16)', () => {
    const restart = (second: number, reason: string) =>
      event(
        'AgentRestartRequested',
        { agentId, attempt: 1, notBefore: at(second + 1).toISOString(), reason },
        second,
      );
    const first = restart(6, 'Task stopped: exit code 1');
    const second = restart(12, 'Gateway health endpoint timed out 3 times');
    const progress = fold([...happyPath, first, first, second, second, first]);
    assert.deepEqual(
      { ...progress.restarts, recent: undefined },
      {
        count: 2,
        lastAt: at(12).toISOString(),
        lastReason: 'Gateway health endpoint timed out 3 times',
        recent: undefined,
      },
    );
    assert.equal(fold(happyPath).restarts, undefined, 'no restart, nothing to show');
    // Whatever the order and the duplicates, two restarts, the latest one shown.
    const third = restart(9, 'Task stopped: exit code 137');
    fc.assert(
      fc.property(
        fc.shuffledSubarray([first, second, third], { minLength: 3 }),
        fc.array(fc.constantFrom(first, second, third)),
        (order, duplicates) => {
          const folded = fold([...happyPath, ...order, ...duplicates]).restarts;
          assert.equal(folded?.count, 3);
          assert.equal(folded.lastAt, at(12).toISOString());
          assert.equal(folded.lastReason, 'Gateway health endpoint timed out 3 times');
        },
      ),
    );
  });

  it('shows an agent asleep after a sleep, and running again after its wake, in any order (ADR 0019)', () => {
    const sleepAndWake = [
      ...happyPath,
      event('AgentAsleep', { agentId, taskArn: 'task-1', reason: 'idle' }, 10),
      event('AgentAwake', { agentId, taskArn: 'task-2', wakeSeenAt: at(19).toISOString() }, 20),
      event('AgentLaunching', { agentId, taskArn: 'task-2' }, 20),
      event('AgentRunning', { agentId, taskArn: 'task-2' }, 25),
    ];
    assert.equal(deriveStatus(fold(sleepAndWake.slice(0, 5))), 'asleep');
    assert.equal(deriveStatus(fold(sleepAndWake.slice(0, 6))), 'launching');
    assert.equal(deriveStatus(fold(sleepAndWake)), 'running');
    assert.deepEqual(fold(sleepAndWake).wakes, { count: 1, lastAt: at(20).toISOString() });
    fc.assert(
      fc.property(fc.shuffledSubarray(sleepAndWake, { minLength: sleepAndWake.length }), (order) => {
        assert.equal(deriveStatus(fold([...order, ...order])), 'running');
      }),
    );
    // A sleep that is not trouble: no health verdict other than asleep.
    assert.equal(fold(sleepAndWake.slice(0, 5)).health?.state, 'asleep');
  });

  it('keeps the latest activity the bus tells of, in any order: a sleep decision, a wake by a message (issue 13)', () => {
    const activity = [
      ...happyPath,
      event('AgentSleepRequested', { agentId, reason: 'idle', lastActiveAt: at(8).toISOString() }, 10),
      event('AgentWakeRequested', { agentId, reason: 'mention', seenAt: at(19).toISOString() }, 19),
      // An operator's wake is not the agent's activity.
      event('AgentWakeRequested', { agentId, reason: 'operator', seenAt: at(40).toISOString() }, 40),
      event('AgentSleepRequested', { agentId, reason: 'operator' }, 41),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(activity, { minLength: activity.length }), (order) => {
        assert.equal(fold([...order, ...order]).lastActiveAt, at(19).toISOString());
      }),
    );
    assert.equal(fold(happyPath).lastActiveAt, undefined);
  });

  it('shows a failed step with its reason', () => {
    const progress = fold([
      happyPath[0]!,
      event('CascadeStepFailed', { agentId, step: 'chat-account', reason: 'homeserver refused' }, 2),
    ]);
    assert.equal(deriveStatus(progress), 'failed');
    assert.equal(progress.hire['chat-account']?.error, 'homeserver refused');
  });

  it('retires once everything the hire did is undone, and only that', () => {
    const retiring = startRetirement(fold(happyPath.slice(0, 2)), at(10).toISOString());
    assert.equal(deriveStatus(retiring), 'retiring');
    const halfway = applyEvent(
      retiring,
      event('CredentialsRevoked', { agentId, secretArn, deletionDate: at(60).toISOString() }, 11),
    );
    assert.equal(deriveStatus(halfway), 'retiring');
    const done = applyEvent(
      halfway,
      event('ChatAccountDeactivated', { agentId, matrixUserId: '@agent-ada-lovelace:localhost' }, 12),
    );
    assert.equal(deriveStatus(done), 'retired', 'no task was launched, so none has to stop');
  });

  it('retires an agent whose first launch failed without waiting for a task nobody will stop', () => {
    const failedLaunch = fold([
      ...happyPath.slice(0, 2),
      event('CascadeStepFailed', { agentId, step: 'task', reason: 'RunTask refused' }, 3),
    ]);
    assert.equal(deriveStatus(failedLaunch), 'failed');
    const undone = [
      event('CredentialsRevoked', { agentId, secretArn, deletionDate: at(60).toISOString() }, 11),
      event('ChatAccountDeactivated', { agentId, matrixUserId: '@agent-ada-lovelace:localhost' }, 12),
    ].reduce(applyEvent, startRetirement(failedLaunch, at(10).toISOString()));
    assert.equal(deriveStatus(undone), 'retired', 'provisioning launched nothing, so reports nothing');
  });

  it('still waits for the task and memory when a relaunch failed after a task had run', () => {
    const failedRelaunch = fold([
      ...happyPath,
      event('CascadeStepFailed', { agentId, step: 'task', reason: 'RunTask refused' }, 5),
    ]);
    assert.equal(failedRelaunch.hire.task?.detail, 'task-1', 'the failure keeps what the step made');
    const credentialsAndChatUndone = [
      event('CredentialsRevoked', { agentId, secretArn, deletionDate: at(60).toISOString() }, 11),
      event('ChatAccountDeactivated', { agentId, matrixUserId: '@agent-ada-lovelace:localhost' }, 12),
    ].reduce(applyEvent, startRetirement(failedRelaunch, at(10).toISOString()));
    assert.equal(deriveStatus(credentialsAndChatUndone), 'retiring');
    const done = [
      event('AgentStopped', { agentId, taskArn: 'task-1', expected: true }, 13),
      event('MemoryArchived', { agentId, archiveLocation: 's3://archive/ada-lovelace' }, 14),
    ].reduce(applyEvent, credentialsAndChatUndone);
    assert.equal(deriveStatus(done), 'retired');
  });

  it("shows a retired agent's task as stopped, not running, in any order of the events (property)", () => {
    const retirement = [
      ...happyPath,
      event('CredentialsRevoked', { agentId, secretArn, deletionDate: at(60).toISOString() }, 11),
      event('ChatAccountDeactivated', { agentId, matrixUserId: '@agent-ada-lovelace:localhost' }, 12),
      event('AgentStopped', { agentId, taskArn: 'task-1', expected: true, reason: 'agent retired' }, 13),
      event('MemoryArchived', { agentId, archiveLocation: 's3://archive/ada-lovelace' }, 14),
      // Health looked once more before it heard of the retirement: a later verdict, same task.
      event('AgentUnhealthy', { agentId, taskArn: 'task-1', reason: 'health check failed' }, 15),
    ];
    const retiring = startRetirement(EMPTY_PROGRESS, at(10).toISOString());
    fc.assert(
      fc.property(
        fc.shuffledSubarray(retirement, { minLength: retirement.length }),
        fc.array(fc.constantFrom(...retirement)),
        (order, duplicates) => {
          const progress = [...order, ...duplicates].reduce(applyEvent, retiring);
          assert.equal(deriveStatus(progress), 'retired');
          assert.deepEqual(progress.health, {
            state: 'stopped',
            at: at(13).toISOString(),
            detail: 'agent retired',
          });
        },
      ),
    );
  });
});
