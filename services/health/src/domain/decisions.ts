import type { MetricDatum } from '@ocf/metrics';
import { countDatum, latencyDatum, wakeLatencyDatum } from './metrics.ts';
import {
  changed,
  isWatched,
  unchanged,
  type Decision,
  type HealthRecord,
  type OutboxEvent,
} from './projection.ts';

/**
 * What health decides when it looks at a watched task (ADR 0011): running, unhealthy, restart
 * with a back-off, or crash loop. Pure, with the clock and the ids passed in.
 */

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

/** Ids for the events health decides on; injected so tests are deterministic. */
export type NewId = () => string;

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
      metrics.push(countDatum('CrashLoops', environment, now));
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
    metrics.push(countDatum('Restarts', environment, now));
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
        runningReport: outbox.at(-1),
        outbox: [...record.outbox, ...outbox],
      };
      if (record.wake?.taskArn === task.arn) {
        // Awake again: from the message that woke it to a task that answers (reported once).
        metrics.push(wakeLatencyDatum(environment, now.getTime() - Date.parse(record.wake.seenAt), now));
        next = { ...next, wake: undefined };
      }
      if (!next.latencyReported.includes('hire:task') && record.hire !== undefined) {
        const ms = Math.max(0, now.getTime() - Date.parse(record.hire.at));
        metrics.push(
          latencyDatum(environment, 'hire', 'task', ms, now),
          latencyDatum(environment, 'hire', '*', ms, now),
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
