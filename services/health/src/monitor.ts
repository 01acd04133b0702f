import { randomUUID } from 'node:crypto';
import { TransientError } from '@ocf/errors';
import type { AnyFleetEvent } from '@ocf/events';
import type { Logger } from '@ocf/logging';
import { AGENT_STATES, FLEET_METRICS, metricDatum, type AgentState, type MetricDatum } from '@ocf/metrics';
import {
  createOutboxWriter,
  createTriggerLoop,
  type EventPublisher,
  type OutboxEvent as RuntimeOutboxEvent,
} from '@ocf/runtime';
import { assess, type HealthPolicy, type NewId } from './domain/decisions.ts';
import {
  agentState,
  applyEvent,
  AWAKE_STATES,
  isWatched,
  type Decision,
  type HealthRecord,
} from './domain/projection.ts';
import type { HealthStore, MetricsSink, TaskObserver } from './ports.ts';

export interface MonitorDeps {
  readonly store: HealthStore;
  readonly observer: TaskObserver;
  readonly publisher: EventPublisher;
  readonly metrics: MetricsSink;
  readonly logger: Logger;
  readonly policy: HealthPolicy;
  readonly environment: string;
  /** Every watched task is looked at this often (the level-triggered source of truth). */
  readonly pollIntervalMs: number;
  /** AgentsByState is published this often (the catalogue says once a minute), with the counters. */
  readonly metricsIntervalMs: number;
  readonly now?: () => Date;
  readonly newId?: NewId;
}

export interface PollSummary {
  readonly watched: number;
  readonly changed: number;
}

export interface Monitor {
  /** Folds a fleet event into the agent's record (handlers call this). */
  applyEvent(event: AnyFleetEvent): Promise<void>;
  /** Look at this agent's task soon, not at the next poll (after a launch, or an ECS event). */
  trigger(agentId: string): void;
  /** Which agent a task belongs to, if health watches it (for ECS state-change events). */
  agentOfTask(taskArn: string): string | undefined;
  /** One full poll now: every watched task. */
  pollOnce(signal?: AbortSignal): Promise<PollSummary>;
  /** Looks at the given agents' tasks now. */
  checkAgents(agentIds: readonly string[], signal?: AbortSignal): Promise<void>;
  /** Publishes AgentsByState and the counters and latencies gathered since the last flush. */
  flushMetrics(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/** Counters waiting for CloudWatch are kept up to this many, if CloudWatch is away for long. */
const MAX_PENDING_DATUMS = 20_000;

/**
 * Health's loop (ADR 0011): polls every watched task through the observer, decides with the pure
 * `assess`, and writes the decision and its events (the record's outbox) in one conditional
 * write before publishing them, so a crash in between republishes the same events instead of
 * losing or inventing a restart. Handlers and the loop go through the same per-agent lock.
 */
export function createMonitor(deps: MonitorDeps): Monitor {
  const { store, observer, publisher, logger, policy, environment } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const locks = new Map<string, Promise<unknown>>();
  const taskIndex = new Map<string, string>();
  const triggered = new Set<string>();
  let pending: MetricDatum[] = [];
  let nextPoll = 0;
  let nextMetrics = Infinity;

  function withLock<T>(agentId: string, work: () => Promise<T>): Promise<T> {
    const previous = locks.get(agentId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    locks.set(agentId, settled);
    void settled.then(() => {
      if (locks.get(agentId) === settled) locks.delete(agentId);
    });
    return next;
  }

  function record(datums: readonly MetricDatum[]): void {
    pending.push(...datums);
    if (pending.length > MAX_PENDING_DATUMS) pending = pending.slice(-MAX_PENDING_DATUMS);
  }

  function index(r: HealthRecord): void {
    if (r.task !== undefined) taskIndex.set(r.task.arn, r.agentId);
  }

  const writer = createOutboxWriter<HealthRecord>({
    records: store,
    publisher,
    logger,
    keyOf: (r) => r.agentId,
    maxAttempts: 5,
    contended: (agentId) =>
      new TransientError('HEALTH_RECORD_CONTENDED', `the health record of ${agentId} kept changing under us`),
    onPublished: (r, event) => {
      logger.info(`published ${event.type}`, {
        agentId: r.agentId,
        eventId: event.eventId,
        ...summary(event),
      });
    },
  });

  /** Reads, decides, writes if the record is still as read (again on a conflict), then publishes. */
  async function update(
    agentId: string,
    decide: (current: HealthRecord | undefined) => Decision,
  ): Promise<HealthRecord | undefined> {
    let decision: Decision | undefined;
    const { record: written, written: changed } = await writer.mutate(agentId, (current) => {
      decision = decide(current);
      return decision.changed ? decision.record : undefined;
    });
    if (!changed || written === undefined) return written;
    record(decision?.metrics ?? []);
    index(written);
    return written.outbox.length > 0 ? writer.flush(written) : written;
  }

  async function checkAgents(agentIds: readonly string[], signal?: AbortSignal): Promise<void> {
    const records = (await Promise.all(agentIds.map((id) => store.get(id)))).filter(
      (r): r is HealthRecord => r !== undefined,
    );
    await observeAndDecide(records, signal);
  }

  async function observeAndDecide(records: readonly HealthRecord[], signal?: AbortSignal): Promise<number> {
    const watched = records.filter(isWatched);
    if (watched.length === 0) return 0;
    const observations = await observer.observe(
      watched.map((r) => ({ agentId: r.agentId, taskArn: r.task?.arn ?? '' })),
      signal,
    );
    let changed = 0;
    for (const listed of watched) {
      if (signal?.aborted === true) break;
      const observation = observations.get(listed.task?.arn ?? '');
      if (observation === undefined) continue;
      // Decide on the listed copy first: most agents are fine, and that costs no write.
      if (!assess(listed, observation, now(), policy, environment, newId).changed) continue;
      try {
        await withLock(listed.agentId, () =>
          update(listed.agentId, (current) =>
            current === undefined || current.task?.arn !== listed.task?.arn
              ? { record: listed, metrics: [], changed: false }
              : assess(current, observation, now(), policy, environment, newId),
          ),
        );
        changed++;
      } catch (error) {
        logger.warn('could not record a decision; the next poll decides again', {
          agentId: listed.agentId,
          error,
        });
      }
    }
    return changed;
  }

  async function pollOnce(signal?: AbortSignal): Promise<PollSummary> {
    const records = await store.list();
    for (const r of records) index(r);
    // Events decided before a crash (or a failed publish) go out now.
    for (const r of records.filter((x) => x.outbox.length > 0)) {
      await withLock(r.agentId, async () => {
        const current = await store.get(r.agentId);
        if (current !== undefined && current.outbox.length > 0) await writer.flush(current);
      }).catch((error: unknown) => {
        logger.warn('could not publish pending events; next poll tries again', { agentId: r.agentId, error });
      });
    }
    const changed = await observeAndDecide(records, signal);
    return { watched: records.filter(isWatched).length, changed };
  }

  async function flushMetrics(): Promise<void> {
    const records = await store.list();
    const counts = new Map<AgentState, number>(AGENT_STATES.map((s) => [s, 0]));
    for (const r of records) {
      const state = agentState(r);
      if (state !== undefined) counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    const at = now();
    const gauge = [...counts].map(([state, count]) =>
      metricDatum(FLEET_METRICS.AgentsByState, { Environment: environment, State: state }, count, at),
    );
    const awake = AWAKE_STATES.reduce((sum, state) => sum + (counts.get(state) ?? 0), 0);
    gauge.push(metricDatum(FLEET_METRICS.AwakeAgents, { Environment: environment }, awake, at));
    const gauges = new Set([FLEET_METRICS.AgentsByState.name, FLEET_METRICS.AwakeAgents.name]);
    const batch = [...pending, ...gauge];
    pending = [];
    try {
      await deps.metrics.put(batch);
    } catch (error) {
      // Counters and latencies are kept for the next flush; the gauges are made afresh each time.
      record(batch.filter((d) => !gauges.has(d.MetricName)));
      throw error;
    }
  }

  /** One look: the agents triggered since the last, every watched task when the poll is due, metrics when due. */
  async function pass(signal: AbortSignal): Promise<void> {
    const wallNow = Date.now();
    if (triggered.size > 0) {
      const agents = [...triggered];
      triggered.clear();
      await checkAgents(agents, signal);
    }
    if (wallNow >= nextPoll) {
      nextPoll = wallNow + deps.pollIntervalMs;
      await pollOnce(signal);
    }
    if (wallNow >= nextMetrics) {
      nextMetrics = wallNow + deps.metricsIntervalMs;
      await flushMetrics();
    }
  }

  const loop = createTriggerLoop({
    pass,
    idleMs: () => Math.min(nextPoll, nextMetrics) - Date.now(),
    onError: (error) => {
      logger.warn('health poll failed; trying again at the next one', { error });
      return undefined;
    },
  });

  return {
    applyEvent: (event) =>
      'agentId' in event.data
        ? withLock(event.data.agentId, async () => {
            const written = await update(event.data.agentId, (current) =>
              applyEvent(current, event, environment),
            );
            if (event.type === 'AgentLaunching' && written !== undefined) index(written);
          })
        : Promise.resolve(),
    trigger(agentId) {
      triggered.add(agentId);
      loop.trigger();
    },
    agentOfTask: (taskArn) => taskIndex.get(taskArn),
    pollOnce,
    checkAgents,
    flushMetrics,
    start() {
      if (nextMetrics === Infinity) nextMetrics = Date.now() + deps.metricsIntervalMs;
      loop.start();
    },
    async stop() {
      await loop.stop();
      // What was counted since the last flush still goes out.
      await flushMetrics().catch((error: unknown) => {
        logger.warn('could not publish the last metrics', { error });
      });
    },
  };
}

function summary(event: RuntimeOutboxEvent): Record<string, unknown> {
  const { agentId: _agentId, ...rest } = event.data as Record<string, unknown>;
  return rest;
}
