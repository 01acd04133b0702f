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
import type { ActivityStore } from './store.ts';

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
  /** A decision pass at least this often, whatever else happens. */
  readonly checkIntervalMs: number;
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
 */
export function createSleepScheduler(deps: SleepSchedulerDeps): SleepScheduler {
  const { store, publisher, naming, settings, logger } = deps;
  const now = deps.now ?? (() => new Date());
  /** Activity not yet written: agent id -> latest times. */
  const unwritten = new Map<string, { addressedAt?: string | undefined; spokeAt?: string | undefined }>();
  /** The records as of the last pass: whether an addressed agent looks asleep. */
  let known = new Map<string, ActivityRecord>();
  /**
   * Rooms in which a person invited an agent to a direct chat: room id -> agent id. Kept in the
   * store too and read back at every pass, so a restarted bridge (or a second instance, which the
   * homeserver's invite was not pushed to) still takes a message there as addressed to the agent.
   */
  const directRooms = new Map<string, string>();
  let lastFlush = 0;
  let nextCheckAt: number | undefined;

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
        if (addressedAt !== undefined) await store.stamp(agentId, 'lastAddressedAt', addressedAt);
        if (spokeAt !== undefined) await store.stamp(agentId, 'lastSpokeAt', spokeAt);
      } catch (error) {
        // Kept for the next flush, unless newer activity took its place meanwhile.
        const newer = unwritten.get(agentId);
        unwritten.set(agentId, { addressedAt, spokeAt, ...newer });
        throw error;
      }
    }
  }

  async function pass(): Promise<Decisions> {
    await flush();
    const records = await store.list();
    known = new Map(records.map((r) => [r.agentId, r]));
    for (const record of records)
      for (const roomId of record.directRooms ?? []) directRooms.set(roomId, record.agentId);
    // A waiting wake is done once the agent is gone, or shows it is awake after the message: it
    // spoke since, or came awake since. (Merely looking awake is not enough: a sleep someone else
    // asked for may be under way, and the message would wait for nobody.)
    for (const record of records) {
      const wake = record.pendingWake;
      if (wake === undefined) continue;
      const phase = phaseOf(record);
      const answered =
        phase === 'awake' &&
        ((record.lastSpokeAt ?? '') > wake.seenAt ||
          (record.state?.value === 'awake' && record.state.at > wake.seenAt));
      if (phase === 'gone' || answered) await store.clearPendingWake(record.agentId, wake.seenAt);
    }
    const at = now();
    const decisions = decide(records, settings, at);
    for (const sleep of decisions.sleeps) {
      await publisher.emit('AgentSleepRequested', {
        agentId: sleep.agentId,
        reason: sleep.reason,
        ...(sleep.lastActiveAt === '' ? {} : { lastActiveAt: sleep.lastActiveAt }),
      });
      await store.stamp(sleep.agentId, 'sleepRequestedAt', at.toISOString());
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
      await store.stamp(agentId, 'wakeRequestedAt', at.toISOString());
      await store.clearPendingWake(agentId, wake.seenAt);
      logger.info('agent woken', { agentId, reason: wake.reason, roomId: wake.roomId });
    }
    nextCheckAt = decisions.nextCheckAt === undefined ? undefined : Date.parse(decisions.nextCheckAt);
    if (decisions.sleeps.length + decisions.wakes.length > 0) {
      // The new requests change the phases: look again once they are written.
      const after = await store.list();
      known = new Map(after.map((r) => [r.agentId, r]));
    }
    return decisions;
  }

  async function addressed(agentId: string, wake: WakeNeed, agentUserId: string): Promise<void> {
    remember(agentId, { addressedAt: wake.seenAt });
    const record = known.get(agentId);
    const phase = record === undefined ? 'awake' : phaseOf(record);
    if (phase === 'gone') return;
    // Written at once, whatever the cached phase says: a sleep may have been carried out since the
    // last pass. A pass clears it if the agent turns out to be awake.
    await store.addPendingWake(agentId, wake);
    if (phase !== 'awake' && wake.roomId !== undefined && deps.signal !== undefined) {
      const signal = deps.signal;
      const roomId = wake.roomId;
      // A spent budget holds the wake: said once per held wake, not per message.
      const held = record !== undefined && budgetSpent(record, now());
      const show = held
        ? record.pendingWake === undefined
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
            await store.addDirectRoom(agentId, roomId);
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
          await store.setPolicy(agentId, {
            at,
            level,
            wakePolicy: wakePolicy ?? null,
            idleTimeoutSeconds: idleTimeoutSeconds ?? null,
          });
          await store.stamp(agentId, 'hiredAt', at);
          break;
        }
        case 'AgentUpdated': {
          const { agentId, changes } = event.data;
          // A changed budget ends a spent one's hold on wakes (the gateway says again if still spent).
          if (changes.monthlyBudgetUsd !== undefined) await store.stamp(agentId, 'budgetChangedAt', at);
          if (
            changes.level === undefined &&
            changes.wakePolicy === undefined &&
            changes.idleTimeoutSeconds === undefined
          ) {
            if (changes.monthlyBudgetUsd !== undefined) loop.trigger();
            return;
          }
          await store.setPolicy(agentId, {
            at,
            ...(changes.level === undefined ? {} : { level: changes.level }),
            ...(changes.wakePolicy === undefined ? {} : { wakePolicy: changes.wakePolicy }),
            ...(changes.idleTimeoutSeconds === undefined
              ? {}
              : { idleTimeoutSeconds: changes.idleTimeoutSeconds }),
          });
          break;
        }
        case 'AgentRetired':
          await store.stamp(event.data.agentId, 'retiredAt', at);
          break;
        case 'AgentBudgetExhausted':
          await store.stamp(event.data.agentId, 'budgetSpentAt', at);
          break;
        case 'AgentAsleep':
          await store.setState(event.data.agentId, { value: 'asleep', at });
          break;
        case 'AgentAwake':
          // Launched, not running yet: its idle timeout starts once it runs.
          await store.setState(event.data.agentId, { value: 'starting', at });
          break;
        case 'AgentRunning':
          await store.setState(event.data.agentId, { value: 'awake', at });
          break;
        default:
          return;
      }
      loop.trigger();
    },
  };
}
