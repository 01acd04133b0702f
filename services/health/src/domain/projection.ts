import { isRetirementComplete, type AnyFleetEvent, type EventDataInput, type HireReach } from '@ocf/events';
import type { AgentState, MetricDatum } from '@ocf/metrics';
import { countDatum, reportLatency, type Cascade, type LatencyStep } from './metrics.ts';

/** States in which an agent's task is meant to run: what the fleet pays for (AwakeAgents). */
export const AWAKE_STATES: readonly AgentState[] = ['launching', 'running', 'unhealthy', 'restarting'];

/**
 * What health knows about one agent (ADR 0011): the task it watches, how that task is doing,
 * its recent failures (the crash-loop window and the back-off come from them), and enough of
 * the cascade to count agents by state and time each step. Built from events and observations;
 * pure functions (here, in decisions.ts and metrics.ts), so every decision can be replayed in a unit test with a fake clock.
 */
export interface HealthRecord {
  readonly agentId: string;
  /** Bumped on every write; writes are conditional on it. */
  readonly version: number;
  readonly hire?: EventRef | undefined;
  readonly retire?: EventRef | undefined;
  /** Hire steps done in the current hire, by the time of the event that finished them. */
  readonly hireSteps: Partial<Record<'credentials' | 'chat-account' | 'task', string>>;
  /** Retirement steps done in the current retirement. */
  readonly retireSteps: Partial<Record<'task' | 'chat-account' | 'credentials' | 'memory', string>>;
  /** A hire step gave up (CascadeStepFailed). */
  readonly failed?: { readonly at: string; readonly step: string; readonly reason: string } | undefined;
  /** The task health watches: the latest AgentLaunching. */
  readonly task?: { readonly arn: string; readonly at: string } | undefined;
  readonly phase: Phase;
  readonly phaseAt: string;
  /** When the task's failures happened, within the crash-loop window. */
  readonly failures: readonly string[];
  readonly lastReason?: string | undefined;
  /** The task whose RUNNING was reported (AgentRunning), so it is reported once. */
  readonly runningReported?: string | undefined;
  /**
   * That AgentRunning as published, so a cascade resync (ADR 0024) can publish it again as the
   * same event: a consumer that had it dedupes, one that lost it learns the agent runs.
   */
  readonly runningReport?: OutboxEvent | undefined;
  /** Latency metrics already published for the current hire and retirement (`hire:credentials`...). */
  readonly latencyReported: readonly string[];
  /** Events decided but maybe not yet published: published again until they are (same ids). */
  readonly outbox: readonly OutboxEvent[];
  /** The task started to wake the agent, and when its waking message was seen (WakeLatency). */
  readonly wake?: { readonly taskArn: string; readonly seenAt: string } | undefined;
}

/**
 * - `idle`: hired, no task yet;            - `launching`: a task started, not RUNNING yet;
 * - `running`: RUNNING and healthy;          - `unhealthy`: RUNNING, failing its health check;
 * - `restarting`: a replacement was asked for; - `crash-looping`: too many failures, given up;
 * - `stopped`: retired, nothing to watch;    - `asleep`: its task stopped on purpose (ADR 0019).
 */
export type Phase =
  'idle' | 'launching' | 'running' | 'unhealthy' | 'restarting' | 'crash-looping' | 'stopped' | 'asleep';

export interface EventRef {
  readonly at: string;
  readonly eventId: string;
  readonly correlationId: string;
}

export interface OutboxEvent {
  readonly type:
    'AgentRunning' | 'AgentUnhealthy' | 'AgentStopped' | 'AgentRestartRequested' | 'AgentCrashLooping';
  readonly data: EventDataInput<
    'AgentRunning' | 'AgentUnhealthy' | 'AgentStopped' | 'AgentRestartRequested' | 'AgentCrashLooping'
  >;
  readonly eventId: string;
  readonly occurredAt: string;
  readonly correlationId?: string | undefined;
}

export interface Decision {
  readonly record: HealthRecord;
  readonly metrics: readonly MetricDatum[];
  readonly changed: boolean;
}

export function newRecord(agentId: string, at: string): HealthRecord {
  return {
    agentId,
    version: 0,
    hireSteps: {},
    retireSteps: {},
    phase: 'idle',
    phaseAt: at,
    failures: [],
    latencyReported: [],
    outbox: [],
  };
}

export function isRetired(record: HealthRecord): boolean {
  return record.retire !== undefined && (record.hire === undefined || record.retire.at >= record.hire.at);
}

/** Whether the monitor should look at the agent's task. */
export function isWatched(record: HealthRecord): boolean {
  return (
    !isRetired(record) &&
    record.task !== undefined &&
    (record.phase === 'launching' || record.phase === 'running' || record.phase === 'unhealthy')
  );
}

/**
 * Watched, running, and reported so, with nothing left to publish: no decision about it waits on
 * a clock, so the sweep looks at it (ADR 0036) rather than every poll.
 */
export function isSettled(record: HealthRecord): boolean {
  return (
    isWatched(record) &&
    record.phase === 'running' &&
    record.runningReported === record.task?.arn &&
    record.outbox.length === 0
  );
}

/** The agent's state as the directory names it, for AgentsByState; undefined until it is hired. */
export function agentState(record: HealthRecord): AgentState | undefined {
  if (record.hire === undefined && record.retire === undefined) return undefined;
  if (isRetired(record)) {
    return retirementDone(record) ? 'retired' : 'retiring';
  }
  if (record.hire === undefined) return undefined;
  if (record.failed !== undefined) return 'failed';
  switch (record.phase) {
    case 'unhealthy':
    case 'restarting':
    case 'crash-looping':
    case 'running':
    case 'asleep':
      return record.phase;
    default:
      break;
  }
  if (record.hireSteps.task !== undefined || record.task !== undefined) return 'launching';
  if (record.hireSteps['chat-account'] !== undefined) return 'chat-account-ready';
  if (record.hireSteps.credentials !== undefined) return 'credentials-issued';
  return 'hired';
}

/** How far the current hire got, as the cascade's status rule (in @ocf/events) reads it. */
export function hireReach(record: HealthRecord): HireReach {
  return {
    credentials: record.hireSteps.credentials,
    'chat-account': record.hireSteps['chat-account'],
    // A task was launched for this hire (AgentLaunching), whether or not it ever ran.
    task: record.task,
  };
}

/** Every step the retirement has to undo is done. */
export function retirementDone(record: HealthRecord): boolean {
  return isRetirementComplete(hireReach(record), (step) => record.retireSteps[step] !== undefined);
}

/**
 * Folds one fleet event into the record. Duplicates and older facts change nothing; a new hire
 * starts a fresh record (a re-hired agent's old failures do not count against it).
 */
export function applyEvent(
  current: HealthRecord | undefined,
  event: AnyFleetEvent,
  environment: string,
): Decision {
  const at = new Date(event.metadata.occurredAt).toISOString();
  const agentId = 'agentId' in event.data ? event.data.agentId : undefined;
  if (agentId === undefined) return unchanged(current ?? newRecord('unknown', at));
  const record = current ?? newRecord(agentId, at);
  const ref: EventRef = { at, eventId: event.metadata.eventId, correlationId: event.metadata.correlationId };
  const metrics: MetricDatum[] = [];
  const latency = (
    next: HealthRecord,
    cascade: Cascade,
    step: LatencyStep,
    from: EventRef | undefined,
  ): HealthRecord => reportLatency(next, metrics, environment, cascade, step, from, at);
  const retiring = isRetired(record);

  switch (event.type) {
    case 'AgentHired': {
      if (record.hire !== undefined && record.hire.at === at && record.hire.eventId !== ref.eventId)
        return repeatRunning(record);
      if (record.hire !== undefined && record.hire.at >= at) return unchanged(record);
      metrics.push(countDatum('Hires', environment, new Date(at)));
      const fresh: HealthRecord = {
        ...newRecord(agentId, at),
        version: record.version,
        hire: ref,
        ...(record.retire === undefined ? {} : { retire: record.retire }),
        outbox: record.outbox,
      };
      return changed(fresh, metrics);
    }
    case 'AgentRetired': {
      if (record.retire !== undefined && record.retire.at >= at) return unchanged(record);
      if (record.hire !== undefined && record.hire.at > at) return unchanged(record);
      metrics.push(countDatum('Retirements', environment, new Date(at)));
      return changed(
        {
          ...record,
          retire: ref,
          retireSteps: {},
          phase: 'stopped',
          phaseAt: at,
          latencyReported: record.latencyReported.filter((k) => !k.startsWith('retire:')),
        },
        metrics,
      );
    }
    case 'CredentialsIssued':
    case 'ChatAccountReady': {
      const step = event.type === 'CredentialsIssued' ? 'credentials' : 'chat-account';
      if (
        retiring ||
        record.hire === undefined ||
        at < record.hire.at ||
        record.hireSteps[step] !== undefined
      ) {
        return unchanged(record);
      }
      const next = { ...record, hireSteps: { ...record.hireSteps, [step]: at } };
      return changed(latency(next, 'hire', step, record.hire), metrics);
    }
    case 'AgentLaunching': {
      if (retiring || (record.task !== undefined && record.task.at >= at)) return unchanged(record);
      return changed(
        {
          ...record,
          task: { arn: event.data.taskArn, at },
          phase: 'launching',
          phaseAt: at,
          // A launch after a crash loop is an operator's restart: a fresh window.
          failures: record.phase === 'crash-looping' ? [] : record.failures,
        },
        metrics,
      );
    }
    case 'AgentStopped': {
      // Health's own unexpected stops are applied when it decides them.
      if (!event.data.expected || !retiring) return unchanged(record);
      return retireStep(record, 'task', at, metrics, latency);
    }
    case 'CredentialsRevoked':
      return retiring ? retireStep(record, 'credentials', at, metrics, latency) : unchanged(record);
    case 'ChatAccountDeactivated':
      return retiring ? retireStep(record, 'chat-account', at, metrics, latency) : unchanged(record);
    case 'MemoryArchived':
      return retiring ? retireStep(record, 'memory', at, metrics, latency) : unchanged(record);
    case 'AgentAsleep': {
      // A launch newer than the sleep (the wake) wins; a sleep of a crash-looping agent changes nothing.
      if (retiring || record.hire === undefined || at < record.hire.at) return unchanged(record);
      if ((record.task !== undefined && record.task.at > at) || record.phase === 'crash-looping')
        return unchanged(record);
      if (record.phase === 'asleep' && record.phaseAt >= at) return unchanged(record);
      return changed({ ...record, phase: 'asleep', phaseAt: at }, metrics);
    }
    case 'AgentAwake': {
      if (retiring || record.wake?.taskArn === event.data.taskArn) return unchanged(record);
      metrics.push(countDatum('Wakes', environment, new Date(at)));
      return changed(
        {
          ...record,
          wake: { taskArn: event.data.taskArn, seenAt: new Date(event.data.wakeSeenAt).toISOString() },
        },
        metrics,
      );
    }
    case 'CascadeStepFailed': {
      if (retiring || record.hire === undefined || at < record.hire.at) return unchanged(record);
      return changed(
        { ...record, failed: { at, step: event.data.step, reason: event.data.reason } },
        metrics,
      );
    }
    default:
      return unchanged(record);
  }
}

function retireStep(
  record: HealthRecord,
  step: 'task' | 'chat-account' | 'credentials' | 'memory',
  at: string,
  metrics: MetricDatum[],
  latency: (
    next: HealthRecord,
    cascade: Cascade,
    step: LatencyStep,
    from: EventRef | undefined,
  ) => HealthRecord,
): Decision {
  if (record.retireSteps[step] !== undefined) return unchanged(record);
  let next: HealthRecord = { ...record, retireSteps: { ...record.retireSteps, [step]: at } };
  next = latency(next, 'retire', step, record.retire);
  if (retirementDone(next)) next = latency(next, 'retire', '*', record.retire);
  return changed(next, metrics);
}

/** A decision that changed the record (and may report metrics). */
export function changed(record: HealthRecord, metrics: readonly MetricDatum[]): Decision {
  return { record, metrics, changed: true };
}

/** A decision that changed nothing. */
export function unchanged(record: HealthRecord): Decision {
  return { record, metrics: [], changed: false };
}

/**
 * The same hire announced again under a new event id (the directory's cascade resync, ADR 0024):
 * an event on the way was lost somewhere. If this agent's task was reported running, that report
 * goes out again, as the same event (same id and time).
 */
function repeatRunning(record: HealthRecord): Decision {
  const report = record.runningReport;
  if (
    isRetired(record) ||
    record.phase !== 'running' ||
    report === undefined ||
    !('taskArn' in report.data) ||
    report.data.taskArn !== record.task?.arn ||
    record.outbox.some((e) => e.eventId === report.eventId)
  )
    return unchanged(record);
  return changed({ ...record, outbox: [...record.outbox, report] }, []);
}
