import { isRetirementComplete, type AnyFleetEvent, type EventDataInput, type HireReach } from '@ocf/events';
import { FLEET_METRICS, metricDatum, type AgentState, type MetricDatum } from '@ocf/metrics';

/**
 * What health knows about one agent (ADR 0011): the task it watches, how that task is doing,
 * its recent failures (the crash-loop window and the back-off come from them), and enough of
 * the cascade to count agents by state and time each step. Built from events and observations;
 * pure functions below, so every decision can be replayed in a unit test with a fake clock.
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
  /** Latency metrics already published for the current hire and retirement (`hire:credentials`...). */
  readonly latencyReported: readonly string[];
  /** Events decided but maybe not yet published: published again until they are (same ids). */
  readonly outbox: readonly OutboxEvent[];
}

/**
 * - `idle`: hired, no task yet;            - `launching`: a task started, not RUNNING yet;
 * - `running`: RUNNING and healthy;          - `unhealthy`: RUNNING, failing its health check;
 * - `restarting`: a replacement was asked for; - `crash-looping`: too many failures, given up;
 * - `stopped`: retired, nothing to watch.
 */
export type Phase =
  'idle' | 'launching' | 'running' | 'unhealthy' | 'restarting' | 'crash-looping' | 'stopped';

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

/** What health saw of a task. */
export interface TaskObservation {
  readonly status: 'pending' | 'running' | 'stopped' | 'missing';
  readonly health: 'healthy' | 'unhealthy' | 'unknown';
  /** Why it stopped, or why its health check fails. */
  readonly reason?: string | undefined;
  readonly exitCode?: number | undefined;
  /** Provisioning stopped it on purpose (a replacement): not a failure; a new launch follows. */
  readonly byFleet?: boolean | undefined;
}

export interface HealthPolicy {
  /** Failures within this window count towards a crash loop. */
  readonly failureWindowMs: number;
  /** This many failures within the window: crash-looping, no more restarts. */
  readonly maxFailures: number;
  /** Restart n waits base * 2^(n-1), at most max. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** A task failing its health check for this long is replaced. */
  readonly unhealthyGraceMs: number;
  /** A task not RUNNING this long after its launch has failed to start. */
  readonly launchTimeoutMs: number;
}

export interface Decision {
  readonly record: HealthRecord;
  readonly metrics: readonly MetricDatum[];
  readonly changed: boolean;
}

/** Ids for the events health decides on; injected so tests are deterministic. */
export type NewId = () => string;

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
    cascade: 'hire' | 'retire',
    step: string,
    from: EventRef | undefined,
  ) => {
    const key = `${cascade}:${step}`;
    if (from === undefined || next.latencyReported.includes(key) || at < from.at) return next;
    const ms = Date.parse(at) - Date.parse(from.at);
    if (step === '*') {
      metrics.push(
        metricDatum(
          FLEET_METRICS.CascadeLatency,
          { Environment: environment, Cascade: cascade },
          ms,
          new Date(at),
        ),
      );
    } else {
      metrics.push(
        metricDatum(
          FLEET_METRICS.CascadeStepLatency,
          { Environment: environment, Cascade: cascade, Step: step as 'task' },
          ms,
          new Date(at),
        ),
      );
    }
    return { ...next, latencyReported: [...next.latencyReported, key] };
  };
  const retiring = isRetired(record);

  switch (event.type) {
    case 'AgentHired': {
      if (record.hire !== undefined && record.hire.at >= at) return unchanged(record);
      metrics.push(metricDatum(FLEET_METRICS.Hires, { Environment: environment }, 1, new Date(at)));
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
      metrics.push(metricDatum(FLEET_METRICS.Retirements, { Environment: environment }, 1, new Date(at)));
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
    cascade: 'hire' | 'retire',
    step: string,
    from: EventRef | undefined,
  ) => HealthRecord,
): Decision {
  if (record.retireSteps[step] !== undefined) return unchanged(record);
  let next: HealthRecord = { ...record, retireSteps: { ...record.retireSteps, [step]: at } };
  next = latency(next, 'retire', step, record.retire);
  if (retirementDone(next)) next = latency(next, 'retire', '*', record.retire);
  return changed(next, metrics);
}

/**
 * Decides on one observation of the watched task: reports it running (once), unhealthy, or
 * failed; a failure asks for a restart after a back-off, or, past `maxFailures` within the
 * window, declares a crash loop. The events go into the record's outbox with their ids and
 * times, so a crash between deciding and publishing publishes the same events again.
 */
export function assess(
  record: HealthRecord,
  observation: TaskObservation,
  now: Date,
  policy: HealthPolicy,
  environment: string,
  newId: NewId,
): Decision {
  const task = record.task;
  if (!isWatched(record) || task === undefined) return unchanged(record);
  const nowIso = now.toISOString();
  const metrics: MetricDatum[] = [];
  const outbox: OutboxEvent[] = [];
  let tick = 0;
  // Strictly increasing times: the directory keeps the newest fact, and two facts of one decision must not tie.
  const emit = (type: OutboxEvent['type'], data: OutboxEvent['data']): void => {
    outbox.push({
      type,
      data,
      eventId: newId(),
      occurredAt: new Date(now.getTime() + tick++).toISOString(),
      correlationId: record.hire?.correlationId,
    });
  };
  const agentId = record.agentId;

  const fail = (reason: string, stopped: boolean, exitCode?: number): Decision => {
    const windowStart = now.getTime() - policy.failureWindowMs;
    const failures = [...record.failures.filter((f) => Date.parse(f) > windowStart), nowIso];
    if (stopped) {
      emit('AgentStopped', {
        agentId,
        taskArn: task.arn,
        expected: false,
        reason,
        ...(exitCode === undefined ? {} : { exitCode }),
      });
    }
    if (failures.length >= policy.maxFailures) {
      emit('AgentCrashLooping', {
        agentId,
        failures: failures.length,
        windowSeconds: Math.max(1, Math.round(policy.failureWindowMs / 1000)),
        lastReason: reason,
      });
      metrics.push(metricDatum(FLEET_METRICS.CrashLoops, { Environment: environment }, 1, now));
      return changed(
        {
          ...record,
          failures,
          lastReason: reason,
          phase: 'crash-looping',
          phaseAt: nowIso,
          outbox: [...record.outbox, ...outbox],
        },
        metrics,
      );
    }
    const attempt = failures.length;
    const delay = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (attempt - 1));
    emit('AgentRestartRequested', {
      agentId,
      attempt,
      notBefore: new Date(now.getTime() + delay).toISOString(),
      reason,
    });
    metrics.push(metricDatum(FLEET_METRICS.Restarts, { Environment: environment }, 1, now));
    return changed(
      {
        ...record,
        failures,
        lastReason: reason,
        phase: 'restarting',
        phaseAt: nowIso,
        outbox: [...record.outbox, ...outbox],
      },
      metrics,
    );
  };

  switch (observation.status) {
    case 'running': {
      if (observation.health === 'unhealthy') {
        const reason = observation.reason ?? 'health check failing';
        // A task that just started may not answer yet (ECS's health check start period): it is
        // still launching, not unhealthy, until the grace has passed.
        if (record.phase === 'launching' && now.getTime() - Date.parse(task.at) < policy.unhealthyGraceMs) {
          return unchanged(record);
        }
        if (record.phase !== 'unhealthy') {
          emit('AgentUnhealthy', { agentId, taskArn: task.arn, reason });
          return changed(
            {
              ...record,
              phase: 'unhealthy',
              phaseAt: nowIso,
              lastReason: reason,
              outbox: [...record.outbox, ...outbox],
            },
            metrics,
          );
        }
        if (now.getTime() - Date.parse(record.phaseAt) >= policy.unhealthyGraceMs) {
          return fail(
            `unhealthy for ${Math.round((now.getTime() - Date.parse(record.phaseAt)) / 1000)} s: ${reason}`,
            false,
          );
        }
        return unchanged(record);
      }
      if (record.phase === 'running' && record.runningReported === task.arn) return unchanged(record);
      emit('AgentRunning', { agentId, taskArn: task.arn });
      let next: HealthRecord = {
        ...record,
        phase: 'running',
        phaseAt: nowIso,
        runningReported: task.arn,
        outbox: [...record.outbox, ...outbox],
      };
      if (!next.latencyReported.includes('hire:task') && record.hire !== undefined) {
        const ms = Math.max(0, now.getTime() - Date.parse(record.hire.at));
        metrics.push(
          metricDatum(
            FLEET_METRICS.CascadeStepLatency,
            { Environment: environment, Cascade: 'hire', Step: 'task' },
            ms,
            now,
          ),
          metricDatum(FLEET_METRICS.CascadeLatency, { Environment: environment, Cascade: 'hire' }, ms, now),
        );
        next = {
          ...next,
          hireSteps: { ...next.hireSteps, task: nowIso },
          latencyReported: [...next.latencyReported, 'hire:task', 'hire:*'],
        };
      }
      return changed(next, metrics);
    }
    case 'pending':
      if (now.getTime() - Date.parse(task.at) >= policy.launchTimeoutMs) {
        return fail(`not running ${Math.round(policy.launchTimeoutMs / 1000)} s after its launch`, false);
      }
      return unchanged(record);
    case 'stopped':
    case 'missing':
      if (observation.byFleet === true) {
        // Replaced on purpose (a rotated secret): wait for the new task's AgentLaunching.
        return changed({ ...record, phase: 'idle', phaseAt: nowIso }, metrics);
      }
      return fail(
        observation.reason ?? (observation.status === 'missing' ? 'task is gone' : 'task stopped'),
        true,
        observation.exitCode,
      );
  }
}

function changed(record: HealthRecord, metrics: readonly MetricDatum[]): Decision {
  return { record, metrics, changed: true };
}

function unchanged(record: HealthRecord): Decision {
  return { record, metrics: [], changed: false };
}
