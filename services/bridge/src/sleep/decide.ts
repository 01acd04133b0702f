import type { Level, WakePolicy } from '@ocf/events';

/**
 * Who sleeps and who wakes (ADR 0018): a pure function of every agent's activity record, the
 * fleet's settings and the clock, so the idle timeout, the awake cap and its eviction order can be
 * replayed in unit tests and driven by the benchmark's simulated day. The bridge's scheduler
 * publishes what it returns; provisioning carries it out.
 */

/**
 * How long an agent that was addressed and has not spoken since stays awake at least (whatever its
 * idle timeout): enough for a woken gateway to start and answer on a busy host, or for a long
 * answer; bounded, so a message the agent chose not to answer does not keep it up for good.
 */
export const UNANSWERED_GRACE_MS = 10 * 60_000;

export type WakeReason = 'mention' | 'direct-message' | 'operator';

/** A message that addressed a sleeping agent: it wakes the agent, now or when there is room. */
export interface WakeNeed {
  readonly reason: WakeReason;
  readonly roomId?: string | undefined;
  readonly eventId?: string | undefined;
  /** When the bridge saw the message: the start of the wake latency, and the queue's order. */
  readonly seenAt: string;
}

export interface ActivityRecord {
  readonly agentId: string;
  readonly level?: Level | undefined;
  /** The agent's own policy; unset: the fleet's default for its level. */
  readonly wakePolicy?: WakePolicy | undefined;
  readonly idleTimeoutSeconds?: number | undefined;
  /** When the policy fields were last set (the hire or update that set them). */
  readonly policyAt?: string | undefined;
  readonly hiredAt?: string | undefined;
  readonly retiredAt?: string | undefined;
  /**
   * What the fleet last said: `starting` (a task launched for a wake), `awake` (running and
   * healthy) or `asleep`, and when.
   */
  readonly state?: { readonly value: 'starting' | 'awake' | 'asleep'; readonly at: string } | undefined;
  /** The scheduler asked for a sleep or a wake at this time (not confirmed yet if newer than `state`). */
  readonly sleepRequestedAt?: string | undefined;
  readonly wakeRequestedAt?: string | undefined;
  /** Last mention, direct message or reply to the agent; last message the agent sent. */
  readonly lastAddressedAt?: string | undefined;
  readonly lastSpokeAt?: string | undefined;
  /** A wake waiting for room under the awake cap, or for a spent budget to be raised. */
  readonly pendingWake?: WakeNeed | undefined;
  /** Rooms a person invited the agent to as a direct chat: a message there addresses it. */
  readonly directRooms?: readonly string[] | undefined;
  /**
   * The model gateway said a budget of the agent's was spent (AgentBudgetExhausted), and when an
   * operator last changed its budget (AgentUpdated): spent until a change or the month turns.
   */
  readonly budgetSpentAt?: string | undefined;
  readonly budgetChangedAt?: string | undefined;
}

export interface SleepSettings {
  /** An agent's idle timeout unless it has its own. */
  readonly idleTimeoutSeconds: number;
  /** Levels whose agents are on-demand unless they say otherwise; all others are always-on. */
  readonly onDemandLevels: ReadonlySet<Level>;
  /** At most this many agents awake at once; 0: no cap. */
  readonly awakeCap: number;
}

export type Phase = 'awake' | 'sleeping' | 'asleep' | 'waking' | 'gone';

export interface Decisions {
  readonly sleeps: readonly {
    readonly agentId: string;
    readonly reason: 'idle' | 'evicted';
    readonly lastActiveAt: string;
  }[];
  readonly wakes: readonly { readonly agentId: string; readonly wake: WakeNeed }[];
  /** The earliest moment an awake agent's idle timeout runs out, if any. */
  readonly nextCheckAt?: string | undefined;
}

export function inFleet(record: ActivityRecord): boolean {
  const { hiredAt, retiredAt } = record;
  return hiredAt !== undefined && (retiredAt === undefined || retiredAt < hiredAt);
}

export function wakePolicyOf(record: ActivityRecord, settings: SleepSettings): WakePolicy {
  if (record.wakePolicy !== undefined) return record.wakePolicy;
  return record.level !== undefined && settings.onDemandLevels.has(record.level) ? 'on-demand' : 'always-on';
}

/**
 * Where the agent is: provisioning's last word, unless the scheduler asked for something newer.
 * A hired agent provisioning has said nothing about yet is starting: awake.
 */
export function phaseOf(record: ActivityRecord): Phase {
  if (!inFleet(record)) return 'gone';
  const stateAt = record.state?.at ?? record.hiredAt ?? '';
  const asleep = record.state?.value === 'asleep';
  if (asleep)
    return record.wakeRequestedAt !== undefined && record.wakeRequestedAt > stateAt ? 'waking' : 'asleep';
  const sleepAsked = record.sleepRequestedAt !== undefined && record.sleepRequestedAt > stateAt;
  const wokenSince =
    record.wakeRequestedAt !== undefined &&
    record.sleepRequestedAt !== undefined &&
    record.wakeRequestedAt > record.sleepRequestedAt;
  return sleepAsked && !wokenSince ? 'sleeping' : 'awake';
}

/** The last sign of life: addressed, spoke, or came awake (a hire counts as coming awake). */
export function lastActiveAt(record: ActivityRecord): string {
  const candidates = [record.lastAddressedAt, record.lastSpokeAt, record.hiredAt];
  if (record.state?.value === 'awake') candidates.push(record.state.at);
  if (record.wakeRequestedAt !== undefined) candidates.push(record.wakeRequestedAt);
  return candidates.filter((c): c is string => c !== undefined).reduce((a, b) => (a > b ? a : b), '');
}

/**
 * The agent's model budget is spent this month (ADR 0017, 0019): the gateway refuses its calls, so
 * a wake would start a task that can only say so. Spent from the gateway's AgentBudgetExhausted
 * until an operator changes the agent's budget or the month (UTC) turns.
 */
export function budgetSpent(record: ActivityRecord, now: Date): boolean {
  const spentAt = record.budgetSpentAt;
  if (spentAt === undefined) return false;
  if (record.budgetChangedAt !== undefined && record.budgetChangedAt > spentAt) return false;
  return spentAt.slice(0, 7) === now.toISOString().slice(0, 7);
}

export function decide(records: readonly ActivityRecord[], settings: SleepSettings, now: Date): Decisions {
  const nowMs = now.getTime();
  const sleeps: { agentId: string; reason: 'idle' | 'evicted'; lastActiveAt: string }[] = [];
  const wakes: { agentId: string; wake: WakeNeed }[] = [];
  let nextCheckAt: number | undefined;

  const phases = new Map(records.map((r) => [r.agentId, phaseOf(r)]));
  const phase = (r: ActivityRecord): Phase => phases.get(r.agentId) ?? 'gone';

  // 1. Idle on-demand agents go to sleep.
  const sleepingNow = new Set<string>();
  for (const record of records) {
    if (phase(record) !== 'awake' || wakePolicyOf(record, settings) !== 'on-demand') continue;
    // Not running yet (a first start or a wake under way): the idle timeout counts from when it runs.
    if (record.state === undefined || record.state.value === 'starting') continue;
    const last = lastActiveAt(record);
    // Its budget spent since it last came awake: nothing it can do until it is raised, so it sleeps
    // now (an operator who wakes it after that gets its idle timeout).
    const spentSinceAwake = budgetSpent(record, now) && (record.budgetSpentAt ?? '') > record.state.at;
    const timeoutMs = 1000 * (record.idleTimeoutSeconds ?? settings.idleTimeoutSeconds);
    // Addressed and not answered yet (a woken agent still starting its gateway and catching up, or
    // one working on a long answer): not idle, for up to UNANSWERED_GRACE_MS after the message.
    const unanswered =
      record.lastAddressedAt !== undefined && record.lastAddressedAt > (record.lastSpokeAt ?? '');
    const due = spentSinceAwake
      ? nowMs
      : Math.max(
          Date.parse(last) + timeoutMs,
          unanswered ? Date.parse(record.lastAddressedAt ?? '') + UNANSWERED_GRACE_MS : 0,
        );
    if (due <= nowMs) {
      sleeps.push({ agentId: record.agentId, reason: 'idle', lastActiveAt: last });
      sleepingNow.add(record.agentId);
    } else if (nextCheckAt === undefined || due < nextCheckAt) {
      nextCheckAt = due;
    }
  }

  // 2. Wakes. An agent still on its way to sleep is woken at once: it holds its slot anyway.
  // A spent budget keeps the wake waiting (not dropped) until the budget is raised or the month turns.
  const waiting = records
    .filter(
      (r) =>
        r.pendingWake !== undefined &&
        (phase(r) === 'asleep' || phase(r) === 'sleeping') &&
        !budgetSpent(r, now),
    )
    .sort((a, b) => (a.pendingWake?.seenAt ?? '').localeCompare(b.pendingWake?.seenAt ?? ''));
  const queued: { agentId: string; wake: WakeNeed }[] = [];
  for (const record of waiting) {
    const wake = record.pendingWake;
    if (wake === undefined) continue;
    if (phase(record) === 'sleeping') wakes.push({ agentId: record.agentId, wake });
    else queued.push({ agentId: record.agentId, wake });
  }
  const wokenNow = new Set(wakes.map((w) => w.agentId));

  // Under a cap, a slot is taken by every agent with a task, including one whose sleep is asked
  // for but not carried out yet: memory is freed when the task stops, not when the sleep is asked.
  const cap = settings.awakeCap;
  let running = records.filter((r) => ['awake', 'waking', 'sleeping'].includes(phase(r))).length;
  let inFlight =
    records.filter((r) => phase(r) === 'sleeping' && !wokenNow.has(r.agentId)).length + sleepingNow.size;
  const evictable = records
    .filter(
      (r) => phase(r) === 'awake' && !sleepingNow.has(r.agentId) && wakePolicyOf(r, settings) === 'on-demand',
    )
    .sort((a, b) => lastActiveAt(a).localeCompare(lastActiveAt(b)) || a.agentId.localeCompare(b.agentId));
  const evict = (): boolean => {
    const victim = evictable.shift();
    if (victim === undefined) return false;
    sleeps.push({ agentId: victim.agentId, reason: 'evicted', lastActiveAt: lastActiveAt(victim) });
    inFlight++;
    return true;
  };

  let waitingForRoom = 0;
  for (const { agentId, wake } of queued) {
    if (cap === 0 || running < cap) {
      wakes.push({ agentId, wake });
      running++;
      continue;
    }
    // Full: the wake waits (it stays pending) for a sleep to be carried out; one more sleep is
    // asked for (the least recently active on-demand agent) unless enough are on their way.
    waitingForRoom++;
    if (inFlight < waitingForRoom) evict();
  }

  // 3. Over the cap with nobody waiting (a burst of hires, a cap made smaller): least recently
  // active on-demand agents sleep until the awake ones fit. Always-on agents are never evicted.
  if (cap > 0) {
    for (let excess = running - inFlight - cap; excess > 0; excess--) if (!evict()) break;
  }

  return {
    sleeps,
    wakes,
    ...(nextCheckAt === undefined ? {} : { nextCheckAt: new Date(nextCheckAt).toISOString() }),
  };
}
