import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent, type AnyFleetEvent, type EventDataInput, type EventType } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { createNaming } from '@ocf/naming';
import { createMemoryPublisher } from '@ocf/runtime';
import { createSleepScheduler } from '../../src/sleep/scheduler.ts';
import { createMemoryActivityStore } from '../../src/sleep/store.ts';

const naming = createNaming({ serverName: 'fleet.test' });
const T0 = Date.parse('2026-12-01T10:00:00.000Z');

function harness(awakeCap = 0, store = createMemoryActivityStore(), startMs = T0) {
  let nowMs = startMs;
  const publisher = createMemoryPublisher();
  const typing: { roomId: string; userId: string }[] = [];
  const held: { roomId: string; userId: string }[] = [];
  const scheduler = createSleepScheduler({
    store,
    publisher,
    naming,
    settings: { idleTimeoutSeconds: 60, onDemandLevels: new Set(['ic']), awakeCap },
    signal: {
      waking: (roomId, userId) => {
        typing.push({ roomId, userId });
        return Promise.resolve();
      },
      budgetSpent: (roomId, userId) => {
        held.push({ roomId, userId });
        return Promise.resolve();
      },
    },
    logger: createMemoryLogger(),
    now: () => new Date(nowMs),
    flushIntervalMs: 5_000,
    checkIntervalMs: 15_000,
    resyncIntervalMs: 600_000,
  });
  const fleet = <T extends EventType>(type: T, data: EventDataInput<T>, second: number) =>
    scheduler.onFleetEvent({
      ...createEvent(type, data, { now: new Date(T0 + second * 1000) }),
      source: 'ocf.test',
    } as AnyFleetEvent);
  const requests = (type: string) => publisher.published.filter((e) => e.type === type).map((e) => e.data);
  return {
    store,
    publisher,
    typing,
    held,
    scheduler,
    fleet,
    requests,
    at: (second: number) => {
      nowMs = T0 + second * 1000;
    },
  };
}

const hire = (agentId: string, level: 'ic' | 'executive' = 'ic') => ({
  agentId,
  name: agentId,
  title: 'T',
  level,
  department: 'D',
  managerId: 'ceo',
});
const message = (sender: string, roomId: string, body: string, mentions: string[] = []) => ({
  type: 'm.room.message',
  sender,
  room_id: roomId,
  event_id: `$${body.replace(/\W/g, '')}`,
  content: { msgtype: 'm.text', body, 'm.mentions': { user_ids: mentions } },
});

describe('the sleep scheduler (ADR 0018)', () => {
  it('puts an idle on-demand agent to sleep, and keeps an always-on one', async () => {
    const h = harness();
    await h.fleet('AgentHired', hire('ada'), 0);
    await h.fleet('AgentHired', hire('boss', 'executive'), 0);
    await h.fleet('AgentRunning', { agentId: 'ada', taskArn: 'task-1' }, 1);
    await h.fleet('AgentRunning', { agentId: 'boss', taskArn: 'task-2' }, 1);
    h.at(60);
    await h.scheduler.runOnce();
    assert.deepEqual(h.requests('AgentSleepRequested'), []);
    h.at(61);
    await h.scheduler.runOnce();
    assert.deepEqual(
      h.requests('AgentSleepRequested').map((d) => d.agentId),
      ['ada'],
    );
  });

  it('counts what an agent says and what is said to it as activity, written coalesced', async () => {
    const h = harness();
    await h.fleet('AgentHired', hire('ada'), 0);
    await h.fleet('AgentRunning', { agentId: 'ada', taskArn: 'task-1' }, 1);
    h.at(50);
    await h.scheduler.onRoomEvent(message('@person:fleet.test', '!room', 'hi', [naming.agentUserId('ada')]));
    await h.scheduler.onRoomEvent(message(naming.agentUserId('ada'), '!room', 'hello back'));
    assert.equal(h.store.records.get('ada')?.lastAddressedAt, undefined, 'not written per message');
    h.at(100);
    await h.scheduler.runOnce();
    assert.equal(h.store.records.get('ada')?.lastAddressedAt, new Date(T0 + 50_000).toISOString());
    assert.deepEqual(h.requests('AgentSleepRequested'), [], 'active 50 s ago: still awake');
  });

  it('wakes a sleeping agent on a mention and on a direct message, showing it typing at once', async () => {
    const h = harness();
    await h.fleet('AgentHired', hire('ada'), 0);
    await h.fleet('AgentAsleep', { agentId: 'ada', reason: 'idle' }, 70);
    await h.scheduler.runOnce();
    h.at(80);
    // A person invites ada to a direct chat: messages there address ada from then on.
    await h.scheduler.onRoomEvent({
      type: 'm.room.member',
      sender: '@person:fleet.test',
      room_id: '!dm',
      event_id: '$invite',
      state_key: naming.agentUserId('ada'),
      content: { membership: 'invite', is_direct: true },
    } as never);
    await h.scheduler.onRoomEvent(message('@person:fleet.test', '!dm', 'are you there'));
    assert.deepEqual(h.typing, [{ roomId: '!dm', userId: naming.agentUserId('ada') }]);
    await h.scheduler.runOnce();
    assert.deepEqual(h.requests('AgentWakeRequested'), [
      {
        agentId: 'ada',
        reason: 'direct-message',
        seenAt: new Date(T0 + 80_000).toISOString(),
        roomId: '!dm',
        eventId: '$areyouthere',
      },
    ]);
    assert.equal(h.store.records.get('ada')?.pendingWake, undefined);
    // Still waking: another mention does not ask again.
    await h.scheduler.onRoomEvent(
      message('@person:fleet.test', '!room', 'ping', [naming.agentUserId('ada')]),
    );
    await h.scheduler.runOnce();
    assert.equal(h.requests('AgentWakeRequested').length, 1);
  });

  it('still takes a message in a direct chat as addressed to the agent after the bridge restarts', async () => {
    const before = harness();
    await before.fleet('AgentHired', hire('ada'), 0);
    await before.fleet('AgentAsleep', { agentId: 'ada', reason: 'idle' }, 70);
    await before.scheduler.onRoomEvent({
      type: 'm.room.member',
      sender: '@person:fleet.test',
      room_id: '!dm',
      event_id: '$invite',
      state_key: naming.agentUserId('ada'),
      content: { membership: 'invite', is_direct: true },
    } as never);
    assert.deepEqual(before.store.records.get('ada')?.directRooms, ['!dm'], 'written at once');

    // A new bridge over the same store: it never saw the invite.
    const after = harness(0, before.store, T0 + 90_000);
    await after.scheduler.runOnce();
    await after.scheduler.onRoomEvent(message('@person:fleet.test', '!dm', 'still there'));
    await after.scheduler.runOnce();
    assert.deepEqual(after.requests('AgentWakeRequested'), [
      {
        agentId: 'ada',
        reason: 'direct-message',
        seenAt: new Date(T0 + 90_000).toISOString(),
        roomId: '!dm',
        eventId: '$stillthere',
      },
    ]);
  });

  it('does not wake an agent whose budget is spent, says so once, and wakes it when the budget changes (ADR 0019)', async () => {
    const h = harness();
    await h.fleet('AgentHired', hire('ada'), 0);
    await h.fleet('AgentRunning', { agentId: 'ada', taskArn: 'task-1' }, 1);
    await h.fleet(
      'AgentBudgetExhausted',
      {
        agentId: 'ada',
        managerId: 'ceo',
        department: 'D',
        month: '2026-12',
        scope: 'agent',
        spentUsd: 1,
        budgetUsd: 1,
      },
      5,
    );
    h.at(6);
    await h.scheduler.runOnce();
    assert.deepEqual(
      h.requests('AgentSleepRequested').map((d) => d.agentId),
      ['ada'],
    );
    await h.fleet('AgentAsleep', { agentId: 'ada', reason: 'idle' }, 8);
    await h.scheduler.runOnce();
    h.at(10);
    const ada = naming.agentUserId('ada');
    await h.scheduler.onRoomEvent(message('@person:fleet.test', '!room', 'one', [ada]));
    await h.scheduler.runOnce();
    await h.scheduler.onRoomEvent(message('@person:fleet.test', '!room', 'two', [ada]));
    await h.scheduler.runOnce();
    assert.deepEqual(h.requests('AgentWakeRequested'), [], 'not woken');
    assert.deepEqual(h.held, [{ roomId: '!room', userId: ada }], 'told once');
    assert.deepEqual(h.typing, []);
    h.at(20);
    await h.fleet('AgentUpdated', { agentId: 'ada', changes: { monthlyBudgetUsd: 10 }, previous: {} }, 20);
    await h.scheduler.runOnce();
    assert.deepEqual(
      h.requests('AgentWakeRequested').map((d) => [d.agentId, (d as { eventId?: string }).eventId]),
      [['ada', '$one']],
      'the held wake goes out: the first message woke it',
    );
  });

  it('does not wake a retired agent', async () => {
    const h = harness();
    await h.fleet('AgentHired', hire('ada'), 0);
    await h.fleet('AgentAsleep', { agentId: 'ada', reason: 'idle' }, 70);
    await h.fleet('AgentRetired', { agentId: 'ada' }, 80);
    await h.scheduler.runOnce();
    await h.scheduler.onRoomEvent(
      message('@person:fleet.test', '!room', 'hello', [naming.agentUserId('ada')]),
    );
    await h.scheduler.runOnce();
    assert.deepEqual(h.requests('AgentWakeRequested'), []);
  });
});
