import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent, type AnyFleetEvent, type EventDataInput, type EventType } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { createNaming } from '@ocf/naming';
import { createMemoryPublisher } from '@ocf/runtime';
import { createSleepScheduler } from '../../src/sleep/scheduler.ts';
import { createMemoryActivityStore, type ActivityStore } from '../../src/sleep/store.ts';

/**
 * Watching without scanning (ADR 0030): the scheduler decides on its view in memory, reads from
 * the table only the agents it is about to act on (and those with a waiting wake), and resyncs one
 * page at a time spread over its interval. A fake clock and a store that counts its reads.
 */

const naming = createNaming({ serverName: 'fleet.test' });
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const RESYNC_MS = 600_000;
const iso = (second: number) => new Date(T0 + second * 1000).toISOString();

function countingStore() {
  const inner = createMemoryActivityStore();
  const reads = { list: 0, pages: 0, gets: [] as string[] };
  const store: ActivityStore & { records: typeof inner.records } = {
    ...inner,
    list: () => {
      reads.list++;
      return inner.list();
    },
    page: (after, limit) => {
      reads.pages++;
      return inner.page(after, limit);
    },
    get: (agentId) => {
      reads.gets.push(agentId);
      return inner.get(agentId);
    },
  };
  return { store, reads };
}

function harness({ awakeCap = 0, pageSize = 10 } = {}) {
  let nowMs = T0;
  const { store, reads } = countingStore();
  const publisher = createMemoryPublisher();
  const scheduler = createSleepScheduler({
    store,
    publisher,
    naming,
    settings: { idleTimeoutSeconds: 60, onDemandLevels: new Set(['ic']), awakeCap },
    logger: createMemoryLogger(),
    now: () => new Date(nowMs),
    flushIntervalMs: 5_000,
    checkIntervalMs: 15_000,
    resyncIntervalMs: RESYNC_MS,
    pageSize,
  });
  const fleet = <T extends EventType>(type: T, data: EventDataInput<T>, second: number) =>
    scheduler.onFleetEvent({
      ...createEvent(type, data, { now: new Date(T0 + second * 1000) }),
      source: 'ocf.test',
    } as AnyFleetEvent);
  const requested = (type: 'AgentSleepRequested' | 'AgentWakeRequested') =>
    publisher.published.filter((e) => e.type === type).map((e) => e.data.agentId);
  /** Hired and running at `second`, written by this bridge (it handled the events). */
  const running = async (agentId: string, second: number, level: 'ic' | 'executive' = 'ic') => {
    await fleet(
      'AgentHired',
      { agentId, name: agentId, title: 'T', level, department: 'D', managerId: 'ceo' },
      second,
    );
    await fleet('AgentRunning', { agentId, taskArn: `task-${agentId}` }, second);
  };
  const mention = (agentId: string, body: string) =>
    scheduler.onRoomEvent({
      type: 'm.room.message',
      sender: '@person:fleet.test',
      room_id: '!team',
      event_id: `$${body}`,
      content: { msgtype: 'm.text', body, 'm.mentions': { user_ids: [naming.agentUserId(agentId)] } },
    });
  return {
    store,
    reads,
    scheduler,
    fleet,
    requested,
    running,
    mention,
    at: (second: number) => {
      nowMs = T0 + second * 1000;
    },
  };
}

describe('the sleep scheduler reads only what can be due (ADR 0030)', () => {
  it('loads the partition once at start, page by page, and then checks in memory: no read while nothing is due', async () => {
    const h = harness({ pageSize: 10 });
    for (let i = 0; i < 25; i++) await h.running(`agent-${String(i).padStart(2, '0')}`, 0);
    await h.scheduler.runOnce();
    assert.equal(h.reads.pages, 3, '25 records in pages of 10');
    for (let second = 15; second <= 59; second += 15) {
      h.at(second);
      await h.scheduler.runOnce();
    }
    assert.deepEqual(h.requested('AgentSleepRequested'), []);
    assert.equal(h.reads.pages, 3, 'no page before its turn');
    assert.deepEqual(h.reads.gets, [], 'nobody due: nobody read');
    assert.equal(h.reads.list, 0, 'never the whole partition in one go');

    h.at(61);
    await h.scheduler.runOnce();
    assert.equal(h.requested('AgentSleepRequested').length, 25);
    assert.equal(h.reads.gets.length, 25, 'each re-read once, before its sleep');
  });

  it('re-reads an agent before putting it to sleep: activity another replica wrote keeps it awake', async () => {
    const h = harness();
    await h.running('ada', 0);
    await h.running('bob', 0);
    await h.scheduler.runOnce();
    // Another bridge replica saw ada speak and wrote it; this one's view does not know.
    await h.store.stamp('ada', 'lastSpokeAt', iso(50));
    h.at(61);
    await h.scheduler.runOnce();
    assert.deepEqual(h.requested('AgentSleepRequested'), ['bob']);
    assert.deepEqual(h.reads.gets.sort(), ['ada', 'bob']);
    // Now the view knows: ada is due at 110 s, and is read again only then.
    h.reads.gets.length = 0;
    h.at(100);
    await h.scheduler.runOnce();
    assert.deepEqual(h.reads.gets, []);
    h.at(111);
    await h.scheduler.runOnce();
    assert.deepEqual(h.requested('AgentSleepRequested'), ['bob', 'ada']);
  });

  it('wakes an agent another replica heard fall asleep: the waiting wake is read back, whatever the view says', async () => {
    const h = harness();
    await h.running('ada', 0);
    await h.scheduler.runOnce();
    // The AgentAsleep went to another replica (competing consumers of one queue).
    await h.store.stamp('ada', 'sleepRequestedAt', iso(61));
    await h.store.setState('ada', { value: 'asleep', at: iso(70) });
    h.at(80);
    await h.mention('ada', 'hello');
    await h.scheduler.runOnce();
    assert.deepEqual(h.requested('AgentWakeRequested'), ['ada']);
    assert.equal(h.store.records.get('ada')?.pendingWake, undefined, 'the wake went out');
  });

  it('acts on policy changes, hires and retirements from memory, without reading them back', async () => {
    const h = harness();
    await h.running('ada', 0);
    await h.running('boss', 0, 'executive');
    await h.running('cy', 0);
    await h.scheduler.runOnce();
    await h.fleet('AgentUpdated', { agentId: 'ada', changes: { idleTimeoutSeconds: 20 }, previous: {} }, 5);
    await h.fleet('AgentRetired', { agentId: 'cy' }, 5);
    await h.fleet(
      'AgentUpdated',
      { agentId: 'boss', changes: { wakePolicy: 'on-demand', idleTimeoutSeconds: 40 }, previous: {} },
      5,
    );
    h.at(21);
    await h.scheduler.runOnce();
    assert.deepEqual(h.requested('AgentSleepRequested'), ['ada']);
    assert.deepEqual(h.reads.gets, ['ada']);
    h.at(41);
    await h.scheduler.runOnce();
    assert.deepEqual(
      h.requested('AgentSleepRequested'),
      ['ada', 'boss'],
      'the retired one is never put to sleep',
    );
  });

  it('resyncs one page per turn, spread over the interval, and learns what another replica wrote', async () => {
    const h = harness({ pageSize: 10 });
    for (let i = 0; i < 30; i++)
      await h.fleet(
        'AgentHired',
        {
          agentId: `agent-${String(i).padStart(2, '0')}`,
          name: 'A',
          title: 'T',
          level: 'ic',
          department: 'D',
          managerId: 'ceo',
        },
        0,
      );
    await h.scheduler.runOnce();
    assert.equal(h.reads.pages, 3);
    // Another replica handled agent-25's AgentRunning: this view still has it starting, not due.
    await h.store.setState('agent-25', { value: 'awake', at: iso(1) });
    const pagesAt = (second: number) => {
      h.at(second);
      return h.scheduler.runOnce().then(() => h.reads.pages - 3);
    };
    // Three pages a round: one every 200 s.
    assert.equal(await pagesAt(100), 0);
    assert.equal(await pagesAt(200), 1);
    assert.equal(await pagesAt(300), 1);
    assert.equal(await pagesAt(400), 2);
    assert.deepEqual(h.requested('AgentSleepRequested'), [], 'agent-25 is on the third page');
    assert.equal(await pagesAt(600), 3);
    assert.deepEqual(h.requested('AgentSleepRequested'), ['agent-25']);
    assert.equal(h.reads.list, 0);
  });

  it('under the awake cap, evicts the least recently active from the view, reading only the agents it acts on', async () => {
    const h = harness({ awakeCap: 3 });
    await h.running('ada', 0);
    await h.running('bob', 0);
    await h.fleet(
      'AgentHired',
      { agentId: 'cy', name: 'cy', title: 'T', level: 'ic', department: 'D', managerId: 'ceo' },
      0,
    );
    await h.fleet('AgentAsleep', { agentId: 'cy', reason: 'evicted' }, 1);
    await h.running('boss', 0, 'executive');
    await h.scheduler.runOnce();
    assert.deepEqual(h.requested('AgentSleepRequested'), [], 'three awake: at the cap, not over it');
    // bob is more recently active than ada; then a person addresses cy.
    h.at(10);
    await h.mention('bob', 'b');
    h.at(20);
    await h.mention('cy', 'c');
    h.reads.gets.length = 0;
    await h.scheduler.runOnce();
    assert.deepEqual(h.requested('AgentWakeRequested'), [], 'full: the wake waits');
    assert.deepEqual(
      h.requested('AgentSleepRequested'),
      ['ada'],
      'the least recently active on-demand agent',
    );
    assert.deepEqual(
      h.reads.gets.sort(),
      ['ada', 'bob', 'cy'],
      'the two with waiting wakes, and the one evicted',
    );
    await h.fleet('AgentAsleep', { agentId: 'ada', reason: 'evicted' }, 25);
    h.at(26);
    await h.scheduler.runOnce();
    assert.deepEqual(h.requested('AgentWakeRequested'), ['cy']);
    assert.equal(h.reads.list, 0);
  });

  it('under the cap, a held wake goes out when another replica heard the sleep it waited for', async () => {
    const h = harness({ awakeCap: 2 });
    await h.running('ada', 0);
    await h.running('bob', 5);
    await h.fleet(
      'AgentHired',
      { agentId: 'cy', name: 'cy', title: 'T', level: 'ic', department: 'D', managerId: 'ceo' },
      0,
    );
    await h.fleet('AgentAsleep', { agentId: 'cy', reason: 'evicted' }, 1);
    await h.scheduler.runOnce();
    h.at(20);
    await h.mention('cy', 'c');
    await h.scheduler.runOnce();
    assert.deepEqual(h.requested('AgentSleepRequested'), ['ada']);
    // ada's AgentAsleep reaches the other replica: this one hears nothing, and reads ada again.
    await h.store.setState('ada', { value: 'asleep', at: iso(22) });
    h.at(36);
    await h.scheduler.runOnce();
    assert.deepEqual(h.requested('AgentWakeRequested'), ['cy'], 'served before any resync');
    assert.equal(h.reads.pages, 1, 'only the start-up page');
  });

  it('keeps its own write that overlapped a read, and takes the rest of what it read', async () => {
    const h = harness();
    await h.fleet(
      'AgentHired',
      { agentId: 'ada', name: 'ada', title: 'T', level: 'ic', department: 'D', managerId: 'ceo' },
      0,
    );
    await h.fleet('AgentAsleep', { agentId: 'ada', reason: 'idle' }, 1);
    await h.scheduler.runOnce();
    // The resync's page answers with the table as it was before this bridge, meanwhile, handled
    // ada's AgentRunning (a wake an operator asked for).
    const stale = structuredClone(h.store.records.get('ada'));
    const realPage = h.store.page.bind(h.store);
    h.store.page = async () => {
      await h.fleet('AgentRunning', { agentId: 'ada', taskArn: 'task-2' }, 100);
      return { records: stale === undefined ? [] : [stale] };
    };
    h.at(600);
    await h.scheduler.runOnce();
    h.store.page = realPage;
    assert.deepEqual(h.requested('AgentSleepRequested'), ['ada'], 'awake since 100 s: idle at 160 s');
  });
});
