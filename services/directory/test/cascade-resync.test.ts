import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent, type AnyFleetEvent, type EventDataInput, type EventType } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { createMemoryPublisher } from '@ocf/runtime';
import { createMemoryAgentStore } from '../src/adapters/memory-agent-store.ts';
import { createDirectory } from '../src/directory.ts';
import type { AgentStatus } from '../src/domain/agent.ts';
import { resyncDue } from '../src/domain/resync.ts';
import type { StepBacklog } from '../src/ports.ts';

const SECOND = 1000;
const policy = { stalledMs: 60 * SECOND, maxWaitMs: 300 * SECOND };

function setup(stepBacklog?: StepBacklog) {
  const clock = { now: Date.parse('2026-12-02T10:00:00.000Z') };
  const store = createMemoryAgentStore();
  const publisher = createMemoryPublisher();
  const logger = createMemoryLogger();
  const directory = createDirectory({
    store,
    publisher,
    logger,
    now: () => new Date(clock.now),
    ...(stepBacklog === undefined ? {} : { stepBacklog }),
  });
  const report = <T extends EventType>(type: T, data: EventDataInput<T>, source: string) =>
    directory.project({ ...createEvent(type, data, { now: new Date(clock.now) }), source } as AnyFleetEvent);
  const hire = (agentId: string) =>
    directory.hire({
      agentId,
      name: `Person ${agentId}`,
      title: 'Engineer',
      level: 'ic',
      department: 'Engineering',
      managerId: 'ceo',
    });
  return { clock, store, publisher, logger, directory, report, hire };
}

describe('the cascade resync (ADR 0024)', () => {
  it('announces a stuck hire again as the same hire, under a new id, and only once it has stalled', async () => {
    const { clock, publisher, directory, hire } = setup();
    const { agent } = await hire('ada');
    const [original] = publisher.published;
    assert.equal(original?.type, 'AgentHired');

    clock.now += policy.stalledMs - 1;
    assert.equal(await directory.resyncStalled(policy), 0, 'not stalled yet');
    clock.now += 1;
    assert.equal(await directory.resyncStalled(policy), 1);
    const repeated = publisher.published.at(-1);
    assert.equal(repeated?.type, 'AgentHired');
    assert.notEqual(repeated.metadata.eventId, original.metadata.eventId, 'a new id: every step looks again');
    assert.deepEqual(repeated.data, original.data, 'the same hire');
    assert.equal(repeated.metadata.occurredAt, agent.hiredAt, 'at the same time: nothing newer to any step');
    assert.equal(repeated.metadata.correlationId, agent.correlationId);
    assert.equal(repeated.metadata.causationId, agent.hireEventId);
    assert.equal((await directory.get('ada'))?.outbox.length, 0, 'published and cleared');

    // Still stuck: the next announcement waits twice as long, and so on up to the maximum.
    clock.now += 2 * policy.stalledMs - 1;
    assert.equal(await directory.resyncStalled(policy), 0);
    clock.now += 1;
    assert.equal(await directory.resyncStalled(policy), 1);
    assert.equal((await directory.get('ada'))?.resync?.count, 2);
  });

  it('waits again after every step of progress, and leaves running, failed and asleep agents alone', async () => {
    const { clock, publisher, directory, hire, report } = setup();
    await hire('ada');
    await hire('bob');
    clock.now += policy.stalledMs / 2;
    await report(
      'CredentialsIssued',
      {
        agentId: 'ada',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1B2c3',
        restored: false,
      },
      'ocf.credentials',
    );
    await report(
      'CascadeStepFailed',
      { agentId: 'bob', step: 'credentials', reason: 'refused' },
      'ocf.credentials',
    );
    assert.equal((await directory.get('bob'))?.status, 'failed');
    const before = publisher.published.length;

    clock.now += policy.stalledMs / 2;
    assert.equal(await directory.resyncStalled(policy), 0, 'ada made progress half a wait ago; bob failed');
    clock.now += policy.stalledMs / 2;
    assert.equal(await directory.resyncStalled(policy), 1);
    assert.deepEqual(
      publisher.published.slice(before).map((e) => [e.type, e.data.agentId]),
      [['AgentHired', 'ada']],
    );
  });

  it('asks a stuck retirement again with a new AgentRetired', async () => {
    const { clock, publisher, directory, hire } = setup();
    await hire('ada');
    await directory.retire('ada', 'leaving');
    assert.equal((await directory.get('ada'))?.status, 'retired', 'nothing was made yet: nothing to undo');

    await hire('bob');
    // bob's hire got as far as a secret, so its retirement waits for CredentialsRevoked.
    await directory.project({
      ...createEvent(
        'CredentialsIssued',
        {
          agentId: 'bob',
          secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/bob-a1B2c3',
          restored: false,
        },
        { now: new Date(clock.now) },
      ),
      source: 'ocf.credentials',
    });
    await directory.retire('bob', 'leaving');
    assert.equal((await directory.get('bob'))?.status, 'retiring');
    const before = publisher.published.length;
    clock.now += policy.stalledMs;
    assert.equal(await directory.resyncStalled(policy), 1);
    const [again, ...more] = publisher.published.slice(before);
    assert.equal(more.length, 0);
    assert.equal(again?.type, 'AgentRetired');
    assert.equal(again.data.agentId, 'bob');
  });

  it('leaves stalled agents alone while messages wait for their next step, and only those', async () => {
    const waiting = new Map<AgentStatus, number>([['hired', 40]]);
    const asked: AgentStatus[] = [];
    const { clock, publisher, directory, hire, report } = setup((status) => {
      asked.push(status);
      return Promise.resolve(waiting.get(status) ?? 0);
    });
    await hire('ada');
    await hire('bob');
    await report(
      'CredentialsIssued',
      {
        agentId: 'bob',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/bob-a1B2c3',
        restored: false,
      },
      'ocf.credentials',
    );
    const before = publisher.published.length;

    clock.now += policy.stalledMs / 2;
    assert.equal(await directory.resyncStalled(policy), 0);
    assert.deepEqual(asked, [], 'nobody stalled yet: no queue is looked at');

    clock.now += policy.stalledMs / 2;
    // ada (hired) waits behind 40 messages for credentials; bob (credentials-issued) waits on nothing.
    assert.equal(await directory.resyncStalled(policy), 1);
    assert.deepEqual(
      publisher.published.slice(before).map((e) => [e.type, e.data.agentId]),
      [['AgentHired', 'bob']],
    );
    assert.deepEqual(asked, ['hired', 'credentials-issued'], 'once per status with a stalled agent');

    // The queue emptied and ada is still at "hired": her event really is missing.
    waiting.set('hired', 0);
    assert.equal(await directory.resyncStalled(policy), 1);
    assert.deepEqual(
      publisher.published.slice(before).map((e) => [e.type, e.data.agentId]),
      [
        ['AgentHired', 'bob'],
        ['AgentHired', 'ada'],
      ],
    );
  });

  it('resyncs as before when the backlog cannot be read, and says so', async () => {
    const { clock, publisher, logger, directory, hire } = setup(() =>
      Promise.reject(new Error('AccessDenied: sqs:GetQueueAttributes')),
    );
    await hire('ada');
    const before = publisher.published.length;
    clock.now += policy.stalledMs;
    assert.equal(await directory.resyncStalled(policy), 1);
    assert.equal(publisher.published.slice(before)[0]?.type, 'AgentHired');
    assert.ok(
      logger.entries.some(
        (e) => e.level === 'warn' && e.message.includes('could not read the next step backlog'),
      ),
    );
  });

  it('decides from the status, the last write and the outbox alone', () => {
    const at = '2026-12-02T10:00:00.000Z';
    const base = {
      agentId: 'ada',
      name: 'Ada',
      title: 'Engineer',
      level: 'ic' as const,
      department: 'Engineering',
      managerId: 'ceo',
      progress: { hire: {}, retire: {} },
      hiredAt: at,
      updatedAt: at,
      hireEventId: 'e1',
      correlationId: 'c1',
      version: 1,
      outbox: [] as unknown[],
    };
    const later = (ms: number) => new Date(Date.parse(at) + ms);
    for (const status of ['running', 'asleep', 'failed', 'crash-looping', 'retired'] as const)
      assert.equal(resyncDue({ ...base, status }, later(1e9), policy).action, 'none', status);
    assert.equal(
      resyncDue({ ...base, status: 'launching' }, later(policy.stalledMs), policy).action,
      'repeat-hire',
    );
    assert.equal(
      resyncDue({ ...base, status: 'launching', outbox: [{}] }, later(policy.stalledMs), policy).action,
      'none',
      "events still owed are the outbox sweeper's",
    );
    assert.equal(
      resyncDue({ ...base, status: 'retiring' }, later(policy.stalledMs), policy).action,
      'repeat-retirement',
    );
    // The wait doubles per resync at the same status, capped; a new status starts again.
    const mark = { status: 'launching' as const, count: 10, at };
    assert.equal(
      resyncDue({ ...base, status: 'launching', resync: mark }, later(policy.maxWaitMs - 1), policy).action,
      'none',
    );
    assert.equal(
      resyncDue({ ...base, status: 'launching', resync: mark }, later(policy.maxWaitMs), policy).action,
      'repeat-hire',
    );
    assert.equal(
      resyncDue({ ...base, status: 'chat-account-ready', resync: mark }, later(policy.stalledMs), policy)
        .action,
      'repeat-hire',
    );
  });
});
