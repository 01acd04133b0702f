import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { createMemoryLogger } from '@ocf/logging';
import type { Sleep } from '@ocf/runtime';
import { createMemoryAgentStore } from '../src/adapters/memory-agent-store.ts';
import { createAgentChangeFeed, type AgentChangeFeed } from '../src/change-feed.ts';
import { EMPTY_PROGRESS } from '../src/domain/status.ts';
import type { AgentChange, StoredAgent } from '../src/ports.ts';

/**
 * The loop's waits, released by hand: every wait the loop starts is the end of a pass, so
 * `pass()` runs exactly one more pass and returns when it has finished.
 */
function steppedSleep() {
  const waiting: (() => void)[] = [];
  let started = 0;
  const sleep: Sleep = (_ms, signal) =>
    new Promise<void>((resolve) => {
      started++;
      if (signal?.aborted === true) {
        resolve();
        return;
      }
      waiting.push(resolve);
      signal?.addEventListener(
        'abort',
        () => {
          waiting.splice(waiting.indexOf(resolve), 1);
          resolve();
        },
        { once: true },
      );
    });
  return {
    sleep,
    get waits() {
      return started;
    },
    async pass(): Promise<void> {
      const before = started;
      waiting.shift()?.();
      while (started === before) await turn();
    },
    /** Waits for a pass something else set off (a first subscriber triggers one). */
    async passDone(since: number): Promise<void> {
      while (started === since) await turn();
    },
  };
}

const agent = (agentId: string, version = 1, title = 'Engineer'): StoredAgent => ({
  agentId,
  name: agentId,
  title,
  level: 'ic',
  department: 'Engineering',
  managerId: 'ceo',
  status: 'hired',
  progress: EMPTY_PROGRESS,
  hiredAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
  hireEventId: `hire-${agentId}`,
  correlationId: `corr-${agentId}`,
  version,
  outbox: [],
});

describe('the agents change feed', () => {
  let feed: AgentChangeFeed | undefined;
  afterEach(async () => {
    await feed?.loop.stop();
  });

  /** A feed over a memory store that counts its reads; `hide` keeps changes back from reads. */
  async function setUp(options: { settleMs?: number } = {}) {
    const store = createMemoryAgentStore();
    const clock = steppedSleep();
    let reads = 0;
    let hidden = new Set<string>();
    feed = createAgentChangeFeed({
      store: {
        changedSince: async (since, limit) => {
          reads++;
          const changes: readonly AgentChange[] = await store.changedSince(since, limit);
          return changes.filter((change) => !hidden.has(change.agent.agentId));
        },
      },
      logger: createMemoryLogger(),
      pollMs: 1_000,
      settleMs: options.settleMs ?? 60_000,
      pageSize: 2,
      sleep: clock.sleep,
    });
    feed.loop.start();
    while (clock.waits === 0) await turn();
    return {
      store,
      clock,
      /** Subscribes, and waits for the pass the first subscriber sets off. */
      async subscribe(listener: (a: StoredAgent) => void) {
        const before = clock.waits;
        const first = feed?.subscribers === 0;
        const unsubscribe = feed?.subscribe(listener);
        if (first) await clock.passDone(before);
        return unsubscribe;
      },
      get reads() {
        return reads;
      },
      hide(agentIds: string[]) {
        hidden = new Set(agentIds);
      },
    };
  }

  it('reads nothing while nobody watches', async () => {
    const probe = await setUp();
    await probe.store.write(agent('ada'));
    await probe.clock.pass();
    await probe.clock.pass();
    assert.equal(probe.reads, 0);
  });

  it('delivers every write once, in order, though each read covers the settle window again', async () => {
    const { store, clock, ...probe } = await setUp();
    const seen: string[] = [];
    await probe.subscribe((a) => seen.push(`${a.agentId}@${a.version}:${a.title}`));
    for (const id of ['a', 'b', 'c']) await store.write(agent(id));
    await clock.pass();
    await store.write(agent('a', 2, 'Lead'));
    await clock.pass();
    await clock.pass();
    assert.deepEqual(seen, ['a@1:Engineer', 'b@1:Engineer', 'c@1:Engineer', 'a@2:Lead']);
  });

  it('delivers a write that shows up late, within the settle window', async () => {
    const probe = await setUp();
    const seen: string[] = [];
    await probe.subscribe((a) => seen.push(a.agentId));
    probe.hide(['late']);
    await probe.store.write(agent('late'));
    await probe.store.write(agent('early'));
    await probe.clock.pass();
    assert.deepEqual(seen, ['early']);
    probe.hide([]);
    await probe.clock.pass();
    assert.deepEqual(seen, ['early', 'late']);
  });

  it('stops reading when the last watcher leaves, and one broken watcher does not stop the others', async () => {
    const probe = await setUp();
    const seen: string[] = [];
    const unsubscribe = await probe.subscribe((a) => seen.push(a.agentId));
    await probe.subscribe(() => {
      throw new Error('this watcher is broken');
    });
    await probe.store.write(agent('ada'));
    await probe.clock.pass();
    assert.deepEqual(seen, ['ada']);
    assert.equal(feed?.subscribers, 1, 'the broken watcher was dropped');
    unsubscribe?.();
    const readsBefore = probe.reads;
    await probe.store.write(agent('bob'));
    await probe.clock.pass();
    await probe.clock.pass();
    assert.equal(probe.reads, readsBefore);
    assert.deepEqual(seen, ['ada']);
  });
});
