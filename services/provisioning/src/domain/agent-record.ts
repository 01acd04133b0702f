/**
 * What provisioning knows about one agent, built from events (ADR 0010). Each fact keeps the
 * `occurredAt` of the event that told it (`at`), and a fact only ever replaces an older one of
 * the same kind, so events may arrive in any order and more than once. The reconciler adds what
 * it did itself (`launch`, `launchFailure`, `retirement`).
 */
export interface AgentRecord {
  readonly agentId: string;
  /** The current hire. Its place in the org is the directory's business: nothing here reads it. */
  readonly hired?: EventFact | undefined;
  readonly credentials?: { readonly at: string; readonly secretArn: string } | undefined;
  readonly chat?: { readonly at: string; readonly matrixUserId: string } | undefined;
  readonly retired?: EventFact | undefined;
  readonly restart?: RestartFact | undefined;
  /** The agent's secret got a new value: its task is replaced so the agent picks it up (ADR 0008). */
  readonly rotation?: RotationFact | undefined;
  readonly crashLoop?: EventFact | undefined;
  /** The latest sleep request (ADR 0019): the task is stopped on purpose while it is the newest. */
  readonly sleep?: SleepFact | undefined;
  /** The latest wake request: a sleeping agent gets a task again. */
  readonly wake?: WakeFact | undefined;
  /** The sleep provisioning carried out (task stopped) and reported (AgentAsleep). */
  readonly asleep?: AsleepRecord | undefined;
  readonly launch?: LaunchRecord | undefined;
  readonly launchFailure?: LaunchFailure | undefined;
  readonly retirement?: RetirementRecord | undefined;
}

export interface EventFact {
  readonly at: string;
  readonly eventId: string;
  readonly correlationId: string;
}

export interface RestartFact extends EventFact {
  readonly attempt: number;
  readonly notBefore: string;
  readonly reason: string;
}

export type SleepReason = 'idle' | 'evicted' | 'operator';

export interface SleepFact extends EventFact {
  readonly reason: SleepReason;
}

export interface WakeFact extends EventFact {
  readonly reason: 'mention' | 'direct-message' | 'operator';
  /** When the fleet saw the message that woke the agent (AgentAwake carries it on). */
  readonly seenAt: string;
}

export interface AsleepRecord {
  readonly sleepEventId: string;
  readonly at: string;
  readonly taskArn?: string | undefined;
}

export interface RotationFact extends EventFact {
  readonly versionId: string;
}

/** The task provisioning started (or found running and adopted) for the current hire. */
export interface LaunchRecord {
  readonly at: string;
  readonly taskArn: string;
  readonly hireEventId: string;
  /** The request (restart or rotation) this launch answered; absent for the hire's first launch. */
  readonly restartEventId?: string | undefined;
  /** AgentLaunching was published for it. False between the write and the publish. */
  readonly reported: boolean;
  /**
   * The id its AgentLaunching is published under, made with the record, so that reporting it
   * again (after a crash, or for a cascade resync, ADR 0024) is the same event, which consumers
   * that had it dedupe. Absent in records from before: those report under a fresh id.
   */
  readonly eventId?: string | undefined;
}

/** A launch that failed for a reason other than throttling; retried after `retryAfter`. */
export interface LaunchFailure {
  readonly hireEventId: string;
  readonly restartEventId?: string | undefined;
  readonly attempts: number;
  readonly retryAfter: string;
  readonly reason: string;
  /** CascadeStepFailed was published for this launch. */
  readonly reported: boolean;
}

/** The retirement's side of provisioning is done: task stopped, storage released, both reported. */
export interface RetirementRecord {
  readonly retiredEventId: string;
  readonly at: string;
  readonly archiveLocation?: string | undefined;
}

/** Facts that handlers record from events; newer replaces older. */
export type FactKey =
  'hired' | 'credentials' | 'chat' | 'retired' | 'restart' | 'rotation' | 'crashLoop' | 'sleep' | 'wake';

/** Retired, and not hired again since. */
export function isRetired(record: AgentRecord): boolean {
  const { retired, hired } = record;
  return retired !== undefined && (hired === undefined || retired.at >= hired.at);
}

/** Health gave up on the agent after this hire, and no restart was asked for since (an operator's). */
export function isCrashLooping(record: AgentRecord): boolean {
  const { crashLoop, hired, restart } = record;
  if (crashLoop === undefined || hired === undefined || crashLoop.at < hired.at) return false;
  return restart === undefined || restart.at < crashLoop.at;
}

/** A fact that happened after the last retirement, so it belongs to the current hire. */
function sinceRetirement(fact: { readonly at: string } | undefined, record: AgentRecord): boolean {
  return fact !== undefined && (record.retired === undefined || fact.at > record.retired.at);
}

/**
 * The agent should have a task: hired and not retired, its secret issued and its chat account
 * ready (the last step before a launch), and not crash-looping.
 */
export function wantsToRun(record: AgentRecord): boolean {
  return (
    record.hired !== undefined &&
    !isRetired(record) &&
    sinceRetirement(record.credentials, record) &&
    sinceRetirement(record.chat, record) &&
    !isCrashLooping(record)
  );
}

/** The launch of the current hire, if there was one. A launch of an earlier hire does not count. */
export function currentLaunch(record: AgentRecord): LaunchRecord | undefined {
  const { launch, hired } = record;
  return launch !== undefined && hired !== undefined && launch.hireEventId === hired.eventId
    ? launch
    : undefined;
}

/** A replacement of the agent's task that provisioning still has to carry out. */
export interface Replacement {
  readonly eventId: string;
  readonly at: string;
  /** Not before then: health's back-off; a rotation is due at once. */
  readonly notBefore: string;
  readonly reason: string;
  readonly correlationId: string;
}

/**
 * A replacement of the task that provisioning has not carried out yet: a restart health asked for
 * (with its back-off), or a rotated secret the running task does not have. Only requests newer
 * than the current launch, and not the one it answered, count; before the hire's first launch
 * there is nothing to replace.
 */
export function pendingReplacement(record: AgentRecord): Replacement | undefined {
  const launch = currentLaunch(record);
  if (launch === undefined) return undefined;
  const pending = (fact: EventFact | undefined): boolean =>
    fact !== undefined && fact.eventId !== launch.restartEventId && fact.at > launch.at;
  const { restart, rotation } = record;
  if (restart !== undefined && pending(restart)) {
    return {
      eventId: restart.eventId,
      at: restart.at,
      notBefore: restart.notBefore,
      reason: restart.reason,
      correlationId: restart.correlationId,
    };
  }
  if (rotation !== undefined && pending(rotation)) {
    return {
      eventId: rotation.eventId,
      at: rotation.at,
      notBefore: rotation.at,
      reason: 'credentials rotated',
      correlationId: rotation.correlationId,
    };
  }
  return undefined;
}

/** The retirement still owes its part: stop the task, release the storage, report both. */
export function retirementPending(record: AgentRecord): boolean {
  return isRetired(record) && record.retirement?.retiredEventId !== record.retired?.eventId;
}

/**
 * The sleep request that holds now: newer than the current hire and than any wake request.
 * Sleep and wake are level-triggered like everything else: the newest request wins, whatever
 * order they arrive in and however often.
 */
export function sleepInForce(record: AgentRecord): SleepFact | undefined {
  const { sleep, wake, hired } = record;
  if (sleep === undefined || hired === undefined || sleep.at < hired.at) return undefined;
  if (!sinceRetirement(sleep, record)) return undefined;
  if (wake !== undefined && wake.at > sleep.at) return undefined;
  return sleep;
}

/**
 * A wake request the current task does not answer yet: the current launch (if any) was followed by
 * a sleep request (carried out or not), and then by this wake. A wake of an agent nobody put to
 * sleep changes nothing; a sleep newer than the wake cancels it.
 */
export function pendingWake(record: AgentRecord): WakeFact | undefined {
  const launch = currentLaunch(record);
  const { wake, sleep, hired } = record;
  if (wake === undefined || sleep === undefined || hired === undefined) return undefined;
  if (sleepInForce(record) !== undefined || !sinceRetirement(wake, record) || sleep.at < hired.at)
    return undefined;
  // Put to sleep before its first launch (evicted right after the hire): the wake is that launch.
  if (launch === undefined) return wake;
  if (wake.eventId === launch.restartEventId || sleep.at <= launch.at || wake.at <= launch.at)
    return undefined;
  return wake;
}
