import type { AnyFleetEvent, EventDataInput } from '@ocf/events';
import type { Logger } from '@ocf/logging';
import type { Naming } from '@ocf/naming';
import { backoffDelayMs, createTriggerLoop, type EventPublisher, type TriggerLoop } from '@ocf/runtime';
import { mentionsIn, type PushedEvent } from '../domain/mentions.ts';
import {
  budgetSpent,
  decide,
  phaseOf,
  type ActivityRecord,
  type Decisions,
  type SleepSettings,
  type WakeNeed,
} from './decide.ts';
import { createMemoryActivityStore, type ActivityStore } from './store.ts';

/** Shows the person who addressed a sleeping agent that it is on its way (a typing notification). */
export interface WakeSignal {
  waking(roomId: string, agentUserId: string): Promise<void>;
  /** Tells the person the agent will not wake yet: its model budget is spent (ADR 0019). */
  budgetSpent?(roomId: string, agentUserId: string): Promise<void>;
}

export interface SleepSchedulerDeps {
  readonly store: ActivityStore;
  readonly publisher: Pick<EventPublisher, 'emit'>;
  readonly naming: Naming;
  readonly settings: SleepSettings;
  readonly signal?: WakeSignal | undefined;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Activity is written at most this often per agent (coalesced in memory in between). */
  readonly flushIntervalMs: number;
  /** A decision pass at least this often, whatever else happens (in memory: no read unless due). */
  readonly checkIntervalMs: number;
  /**
   * The whole activity partition is read again once per this interval, one page at a time spread
   * over it: what other bridge replicas wrote, and any drift, reaches this one's view (ADR 0030).
   */
  readonly resyncIntervalMs: number;
  /** Records per page of the start-up load and of the resync. */
  readonly pageSize?: number | undefined;
}

export interface SleepScheduler {
  /** Every event the homeserver pushes (application-service transactions). */
  onRoomEvent(event: PushedEvent): Promise<void>;
  /** The fleet events the bridge gets about an agent's life. */
  onFleetEvent(event: AnyFleetEvent): Promise<void>;
  readonly loop: TriggerLoop;
  /** One decision pass now (tests, the benchmark). */
  runOnce(): Promise<Decisions>;
}

/**
 * The bridge's sleep and wake decisions (ADR 0018). The bridge sees every message in the fleet's
 * rooms, so activity never travels on the bus: it is coalesced in memory and written to the
 * bridge's table at most once per `flushIntervalMs` per agent. What does go on the bus are the
 * decisions — AgentSleepRequested and AgentWakeRequested — which provisioning carries out and
 * answers with AgentAsleep / AgentAwake.
 *
 * A message to a sleeping agent is recorded as a waiting wake at once (never only in memory), the
 * person sees the agent typing, and a pass runs: the wake goes out now, or, under a full awake
 * cap, when a least recently active on-demand agent has gone to sleep to make room.
 *
 * Watching without scanning (ADR 0030): the scheduler keeps every agent's record in memory (its
 * view), loaded once at start with a paged Query and kept up to date by what it writes itself
 * (activity, the events it handles, its own requests). A pass decides on the view, in memory, and
 * reads from the table only the agents it is about to act on (each re-read, strongly consistent,
 * before it decides: a stale view never puts a busy agent to sleep) and those with a waiting wake.
 * What other bridge replicas learn reaches the view through a resync: one page at a time, spread
 * over `resyncIntervalMs`, never the whole partition at once after start.
 */
export function createSleepScheduler(deps: SleepSchedulerDeps): SleepScheduler {
  const { store, publisher, naming, settings, logger } = deps;
  const now = deps.now ?? (() => new Date());
  /** Activity not yet written: agent id -> latest times. */
  const unwritten = new Map<string, { addressedAt?: string | undefined; spokeAt?: string | undefined }>();
  /**
   * Every agent's record as this bridge knows it: the table's content as last read, plus every
   * write this bridge made since (applied with the same "newer wins" rules the table applies).
   */
  const view = createMemoryActivityStore();
  /** Sequence number of this bridge's writes, and the last one applied per agent. */
  let writes = 0;
  const lastWrite = new Map<string, number>();
  /** When an agent's record was last read from the table (ms), for the waiting-wake re-reads. */
  const readAt = new Map<string, number>();
  /**
   * Rooms in which a person invited an agent to a direct chat: room id -> agent id. Kept in the
   * store too and read back at start and by the resync, so a restarted bridge (or a second
   * instance, which the homeserver's invite was not pushed to) still takes a message there as
   * addressed to the agent.
   */
  const directRooms = new Map<string, string>();
  const pageSize = deps.pageSize ?? 100;
  let lastFlush = 0;
  let nextCheckAt: number | undefined;
  /** The view is loaded (the first pass loads it), and where the resync goes on from. */
  let loaded = false;
  const resync: { after?: string | undefined; pages: number; pagesPerRound: number; nextPageAt: number } = {
    pages: 0,
    pagesPerRound: 1,
    nextPageAt: 0,
  };

  const loop = createTriggerLoop({
    pass: async () => {
      await pass();
    },
    idleMs: () => {
      const untilCheck = nextCheckAt === undefined ? Infinity : nextCheckAt - now().getTime();
      const untilFlush = unwritten.size > 0 ? deps.flushIntervalMs : Infinity;
      return Math.max(0, Math.min(deps.checkIntervalMs, untilCheck, untilFlush));
    },
    onError: (error, failuresInARow) => {
      const delayMs = backoffDelayMs(failuresInARow, { baseMs: 1_000, maxMs: 30_000 });
      logger.warn('sleep decision pass failed; trying again', { error, delayMs });
      return delayMs;
    },
  });

  function remember(agentId: string, change: { addressedAt?: string; spokeAt?: string }): void {
    unwritten.set(agentId, { ...unwritten.get(agentId), ...change });
  }

  async function flush(): Promise<void> {
    const batch = [...unwritten];
    unwritten.clear();
    lastFlush = now().getTime();
    for (const [agentId, { addressedAt, spokeAt }] of batch) {
      try {
        if (addressedAt !== undefined)
          await write(agentId, (target) => target.stamp(agentId, 'lastAddressedAt', addressedAt));
        if (spokeAt !== undefined)
          await write(agentId, (target) => target.stamp(agentId, 'lastSpokeAt', spokeAt));
      } catch (error) {
        // Kept for the next flush, unless newer activity took its place meanwhile.
        const newer = unwritten.get(agentId);
        unwritten.set(agentId, { addressedAt, spokeAt, ...newer });
        throw error;
      }
    }
  }

  /** Writes to the table, then the same to the view (so a read that overlapped it is merged, not taken whole). */
  async function write(agentId: string, change: (target: ActivityStore) => Promise<void>): Promise<void> {
    await change(store);
    await change(view);
    lastWrite.set(agentId, ++writes);
  }

  /**
   * Takes a record read from the table into the view. Read after this bridge's last write to the
   * agent, it is the whole truth as of the read; a write of ours that overlapped the read is kept
   * (newer wins field by field, and our waiting wake stays as we left it).
   */
  async function absorb(fresh: ActivityRecord, writesBeforeRead: number, readAtMs: number): Promise<void> {
    const { agentId } = fresh;
    readAt.set(agentId, readAtMs);
    for (const roomId of fresh.directRooms ?? []) directRooms.set(roomId, agentId);
    if ((lastWrite.get(agentId) ?? 0) <= writesBeforeRead || !view.records.has(agentId)) {
      view.records.set(agentId, fresh);
      return;
    }
    const stamps = [
      'lastAddressedAt',
      'lastSpokeAt',
      'sleepRequestedAt',
      'wakeRequestedAt',
      'hiredAt',
      'retiredAt',
      'budgetSpentAt',
      'budgetChangedAt',
    ] as const;
    for (const field of stamps) {
      const at = fresh[field];
      if (at !== undefined) await view.stamp(agentId, field, at);
    }
    if (fresh.state !== undefined) await view.setState(agentId, fresh.state);
    if (fresh.policyAt !== undefined)
      await view.setPolicy(agentId, {
        at: fresh.policyAt,
        ...(fresh.level === undefined ? {} : { level: fresh.level }),
        wakePolicy: fresh.wakePolicy ?? null,
        idleTimeoutSeconds: fresh.idleTimeoutSeconds ?? null,
      });
    for (const roomId of fresh.directRooms ?? []) await view.addDirectRoom(agentId, roomId);
  }

  /** Re-reads these agents from the table (strongly consistent), before deciding about them. */
  async function reread(agentIds: Iterable<string>): Promise<void> {
    for (const agentId of agentIds) {
      const before = writes;
      const fresh = await store.get(agentId);
      if (fresh !== undefined) await absorb(fresh, before, now().getTime());
    }
  }

  /** One page of the table into the view; from the start again after the last one. */
  async function readPage(): Promise<void> {
    const before = writes;
    const page = await store.page(resync.after, pageSize);
    const at = now().getTime();
    for (const record of page.records) await absorb(record, before, at);
    resync.pages++;
    resync.after = page.next;
    if (page.next === undefined) {
      resync.pagesPerRound = Math.max(1, resync.pages);
      resync.pages = 0;
    }
  }

  /**
   * At start, the whole partition, page by page; then one page whenever its turn comes, so one
   * round over all agents takes `resyncIntervalMs` however many there are.
   */
  async function syncView(): Promise<void> {
    const nowMs = now().getTime();
    if (!loaded) {
      do await readPage();
      while (resync.after !== undefined);
      loaded = true;
    } else if (nowMs >= resync.nextPageAt) {
      await readPage();
    } else return;
    resync.nextPageAt = nowMs + deps.resyncIntervalMs / resync.pagesPerRound;
  }

  const records = (): ActivityRecord[] => [...view.records.values()];

  async function pass(): Promise<Decisions> {
    await flush();
    await syncView();
    const at = now();
    const atMs = at.getTime();
    // Agents with a waiting wake are read again (at most once per check interval, and always once
    // after the wake was written): the view may not know that another replica saw them fall asleep.
    const waiting = records().filter((r) => r.pendingWake !== undefined);
    const fresh = new Set<string>();
    const readLongAgo = (agentId: string): boolean =>
      atMs - (readAt.get(agentId) ?? -Infinity) >= deps.checkIntervalMs;
    const stale = waiting.map((r) => r.agentId).filter(readLongAgo);
    await reread(stale);
    for (const id of stale) fresh.add(id);

    // A waiting wake is done once the agent is gone, or shows it is awake after the message: it
    // spoke since, or came awake since. (Merely looking awake is not enough: a sleep someone else
    // asked for may be under way, and the message would wait for nobody.)
    for (const { agentId } of waiting) {
      const record = view.records.get(agentId);
      const wake = record?.pendingWake;
      if (record === undefined || wake === undefined) continue;
      const phase = phaseOf(record);
      const answered =
        phase === 'awake' &&
        ((record.lastSpokeAt ?? '') > wake.seenAt ||
          (record.state?.value === 'awake' && record.state.at > wake.seenAt));
      if (phase === 'gone' || answered)
        await write(agentId, (target) => target.clearPendingWake(agentId, wake.seenAt));
    }

    // Decide on the view; re-read every agent a decision is about, and decide again, until every
    // decision rests on records read in this pass (a few rounds at most; what is left waits for
    // the next pass, which runs at once).
    let decisions = decide(records(), settings, at);
    let settled = false;
    for (let round = 0; round < 4 && !settled; round++) {
      const unread = new Set(
        [...decisions.sleeps, ...decisions.wakes].map((d) => d.agentId).filter((id) => !fresh.has(id)),
      );
      // A wake waiting for room under the cap waits for sleeps in flight: read those again too
      // (at most once per check interval), in case another replica heard they were carried out.
      if (settings.awakeCap > 0) {
        const woken = new Set(decisions.wakes.map((w) => w.agentId));
        const held = records().some(
          (r) => r.pendingWake !== undefined && !woken.has(r.agentId) && phaseOf(r) === 'asleep',
        );
        if (held)
          for (const { agentId } of records().filter((r) => phaseOf(r) === 'sleeping'))
            if (!fresh.has(agentId) && readLongAgo(agentId)) unread.add(agentId);
      }
      if (unread.size === 0) settled = true;
      else {
        await reread(unread);
        for (const id of unread) fresh.add(id);
        decisions = decide(records(), settings, at);
      }
    }
    if (!settled) {
      decisions = {
        ...decisions,
        sleeps: decisions.sleeps.filter((d) => fresh.has(d.agentId)),
        wakes: decisions.wakes.filter((d) => fresh.has(d.agentId)),
      };
      loop.trigger();
    }

    for (const sleep of decisions.sleeps) {
      await publisher.emit('AgentSleepRequested', {
        agentId: sleep.agentId,
        reason: sleep.reason,
        ...(sleep.lastActiveAt === '' ? {} : { lastActiveAt: sleep.lastActiveAt }),
      });
      await write(sleep.agentId, (target) =>
        target.stamp(sleep.agentId, 'sleepRequestedAt', at.toISOString()),
      );
      logger.info('agent put to sleep', { ...sleep });
    }
    for (const { agentId, wake } of decisions.wakes) {
      const data: EventDataInput<'AgentWakeRequested'> = {
        agentId,
        reason: wake.reason,
        seenAt: wake.seenAt,
        ...(wake.roomId === undefined ? {} : { roomId: wake.roomId }),
        ...(wake.eventId === undefined ? {} : { eventId: wake.eventId }),
      };
      await publisher.emit('AgentWakeRequested', data);
      await write(agentId, (target) => target.stamp(agentId, 'wakeRequestedAt', at.toISOString()));
      await write(agentId, (target) => target.clearPendingWake(agentId, wake.seenAt));
      logger.info('agent woken', { agentId, reason: wake.reason, roomId: wake.roomId });
    }
    nextCheckAt = decisions.nextCheckAt === undefined ? undefined : Date.parse(decisions.nextCheckAt);
    return decisions;
  }

  async function addressed(agentId: string, wake: WakeNeed, agentUserId: string): Promise<void> {
    remember(agentId, { addressedAt: wake.seenAt });
    const record = view.records.get(agentId);
    const phase = record === undefined ? 'awake' : phaseOf(record);
    if (phase === 'gone') return;
    const alreadyWaiting = record?.pendingWake !== undefined;
    // Written at once, whatever the view says: a sleep may have been carried out since (and heard
    // by another replica). The next pass reads the agent again, and clears it if it is awake.
    await write(agentId, (target) => target.addPendingWake(agentId, wake));
    readAt.delete(agentId);
    if (phase !== 'awake' && wake.roomId !== undefined && deps.signal !== undefined) {
      const signal = deps.signal;
      const roomId = wake.roomId;
      // A spent budget holds the wake: said once per held wake, not per message.
      const held = record !== undefined && budgetSpent(record, now());
      const show = held
        ? !alreadyWaiting
          ? signal.budgetSpent?.(roomId, agentUserId)
          : undefined
        : signal.waking(roomId, agentUserId);
      await show?.catch((error: unknown) => {
        logger.warn('could not show the person what the agent is doing', { agentId, held, error });
      });
    }
    loop.trigger();
  }

  return {
    loop,
    runOnce: () => loop.exclusive(() => pass()),

    async onRoomEvent(event) {
      const sender = typeof event.sender === 'string' ? event.sender : undefined;
      const roomId = typeof event.room_id === 'string' ? event.room_id : undefined;
      const eventId = typeof event.event_id === 'string' ? event.event_id : undefined;
      if (sender === undefined || roomId === undefined) return;
      const seenAt = now().toISOString();

      // A person invites an agent to a direct chat: that room addresses the agent from now on.
      if (event.type === 'm.room.member') {
        const target = (event as { state_key?: unknown }).state_key;
        const content = event.content as { membership?: unknown; is_direct?: unknown } | undefined;
        const agentId = typeof target === 'string' ? naming.agentIdOf(target) : undefined;
        if (agentId !== undefined && content?.membership === 'invite' && content.is_direct === true) {
          directRooms.set(roomId, agentId);
          try {
            await write(agentId, (target) => target.addDirectRoom(agentId, roomId));
          } catch (error) {
            // This instance knows the room already; only a restart before it is written loses it.
            logger.warn('could not record a direct chat; known to this bridge only', {
              agentId,
              roomId,
              error,
            });
          }
        }
        return;
      }
      if (event.type !== 'm.room.message') return;

      const speaker = naming.agentIdOf(sender);
      if (speaker !== undefined) remember(speaker, { spokeAt: seenAt });

      const targets = new Map<string, WakeNeed['reason']>();
      for (const mention of mentionsIn(event, naming)) targets.set(mention.agentId, 'mention');
      const direct = directRooms.get(roomId);
      if (direct !== undefined && direct !== speaker && !targets.has(direct))
        targets.set(direct, 'direct-message');
      for (const [agentId, reason] of targets) {
        await addressed(
          agentId,
          { reason, roomId, seenAt, ...(eventId === undefined ? {} : { eventId }) },
          naming.agentUserId(agentId),
        );
      }
      if (now().getTime() - lastFlush >= deps.flushIntervalMs && unwritten.size > 0) loop.trigger();
    },

    async onFleetEvent(event) {
      const at = new Date(event.metadata.occurredAt).toISOString();
      switch (event.type) {
        case 'AgentHired': {
          const { agentId, level, wakePolicy, idleTimeoutSeconds } = event.data;
          await write(agentId, (target) =>
            target.setPolicy(agentId, {
              at,
              level,
              wakePolicy: wakePolicy ?? null,
              idleTimeoutSeconds: idleTimeoutSeconds ?? null,
            }),
          );
          await write(agentId, (target) => target.stamp(agentId, 'hiredAt', at));
          break;
        }
        case 'AgentUpdated': {
          const { agentId, changes } = event.data;
          // A changed budget ends a spent one's hold on wakes (the gateway says again if still spent).
          if (changes.monthlyBudgetUsd !== undefined)
            await write(agentId, (target) => target.stamp(agentId, 'budgetChangedAt', at));
          if (
            changes.level === undefined &&
            changes.wakePolicy === undefined &&
            changes.idleTimeoutSeconds === undefined
          ) {
            if (changes.monthlyBudgetUsd !== undefined) loop.trigger();
            return;
          }
          await write(agentId, (target) =>
            target.setPolicy(agentId, {
              at,
              ...(changes.level === undefined ? {} : { level: changes.level }),
              ...(changes.wakePolicy === undefined ? {} : { wakePolicy: changes.wakePolicy }),
              ...(changes.idleTimeoutSeconds === undefined
                ? {}
                : { idleTimeoutSeconds: changes.idleTimeoutSeconds }),
            }),
          );
          break;
        }
        case 'AgentRetired': {
          const { agentId } = event.data;
          await write(agentId, (target) => target.stamp(agentId, 'retiredAt', at));
          break;
        }
        case 'AgentBudgetExhausted': {
          const { agentId } = event.data;
          await write(agentId, (target) => target.stamp(agentId, 'budgetSpentAt', at));
          break;
        }
        case 'AgentAsleep': {
          const { agentId } = event.data;
          await write(agentId, (target) => target.setState(agentId, { value: 'asleep', at }));
          break;
        }
        case 'AgentAwake': {
          // Launched, not running yet: its idle timeout starts once it runs.
          const { agentId } = event.data;
          await write(agentId, (target) => target.setState(agentId, { value: 'starting', at }));
          break;
        }
        case 'AgentRunning': {
          const { agentId } = event.data;
          await write(agentId, (target) => target.setState(agentId, { value: 'awake', at }));
          break;
        }
        default:
          return;
      }
      loop.trigger();
    },
  };
}
