import { randomUUID } from 'node:crypto';
import { TransientError } from '@ocf/errors';
import type { AnyFleetEvent } from '@ocf/events';
import type { Logger } from '@ocf/logging';
import { AGENT_STATES, FLEET_METRICS, metricDatum, type AgentState, type MetricDatum } from '@ocf/metrics';
import {
  createOutboxWriter,
  createPacedSweep,
  createTriggerLoop,
  type EventPublisher,
  type OutboxEvent as RuntimeOutboxEvent,
  type VersionedRecords,
} from '@ocf/runtime';
import { assess, type HealthPolicy, type NewId } from './domain/decisions.ts';
import {
  agentState,
  applyEvent,
  AWAKE_STATES,
  isSettled,
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
  /**
   * Tasks not yet settled (launching, unhealthy, or running but not yet reported) are looked at
   * this often: their decisions wait on a clock (launch timeout, unhealthy grace).
   */
  readonly pollIntervalMs: number;
  /**
   * Settled tasks (running, reported) are all looked at within this long, a page at a time spread
   * over it (ADR 0036): what ECS says of no event (a failing health check) is seen within it.
   * A stop is seen sooner where ECS's task state changes arrive (`trigger`). Default: 4 × the poll.
   */
  readonly sweepIntervalMs?: number;
  /** Settled tasks per sweep page: one DescribeTasks (100, its most). */
  readonly sweepPageSize?: number;
  /**
   * The monitor's view of the table is read again, a page per tick, over this long: it catches
   * what another replica wrote (ADR 0029). Default 10 minutes.
   */
  readonly resyncIntervalMs?: number;
  /** Records per resync page (default 100). */
  readonly resyncPageSize?: number;
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
  /** One full poll now: every watched task the monitor's view holds (loaded from the table once). */
  pollOnce(signal?: AbortSignal): Promise<PollSummary>;
  /** The loop's poll: pending events published, and every task that is not settled looked at. */
  pollUnsettled(signal?: AbortSignal): Promise<PollSummary>;
  /** Looks at the next page of settled tasks if it is due (the loop calls this); says whether it did. */
  sweepStep(signal?: AbortSignal): Promise<boolean>;
  /** Looks at the given agents' tasks now. */
  checkAgents(agentIds: readonly string[], signal?: AbortSignal): Promise<void>;
  /** Publishes AgentsByState and the counters and latencies gathered since the last flush. */
  flushMetrics(): Promise<void>;
  /** Reads the next page of the view's resync if it is due (the loop calls this); says whether it read one. */
  resyncStep(): Promise<boolean>;
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
  /**
   * Every record of the table as last read or written here (ADR 0029). The monitor is the only
   * writer of its table (per agent, under the lock), so its own reads and writes keep this
   * current; what another replica writes arrives with the paced resync. Polls and metrics work
   * from it; every decision still re-reads the record under the lock, so a stale view can make a
   * poll look at a task needlessly or late, never decide wrongly.
   */
  const view = new Map<string, HealthRecord>();
  let loaded: Promise<void> | undefined;
  const sweep = createPacedSweep<HealthRecord>({
    readPage: (cursor, limit) => store.page(cursor, limit),
    intervalMs: deps.resyncIntervalMs ?? 10 * 60_000,
    pageSize: deps.resyncPageSize ?? 100,
    now: () => now().getTime(),
  });
  /**
   * The settled tasks' sweep: pages of agent ids cut from the view when a cycle begins, spread over
   * the sweep interval like the table's resync (a task settled since then waits for the next cycle).
   */
  const settledSweep = createPacedSweep<string, { readonly ids: readonly string[]; readonly from: number }>({
    readPage: (cursor, limit) => {
      const ids = cursor?.ids ?? [...view.values()].filter(isSettled).map((r) => r.agentId);
      const from = cursor?.from ?? 0;
      const to = from + limit;
      return Promise.resolve({
        items: ids.slice(from, to),
        next: to < ids.length ? { ids, from: to } : undefined,
      });
    },
    intervalMs: deps.sweepIntervalMs ?? 4 * deps.pollIntervalMs,
    pageSize: deps.sweepPageSize ?? 100,
    now: () => now().getTime(),
  });
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

  /** Keeps what was read or written in the view, unless the view already holds a newer version. */
  function remember(r: HealthRecord | undefined): void {
    if (r === undefined) return;
    const known = view.get(r.agentId);
    if (known !== undefined && known.version > r.version) return;
    view.set(r.agentId, r);
    index(r);
  }

  /** The view, loaded with one paged read of the whole table the first time it is needed. */
  function ensureLoaded(): Promise<void> {
    loaded ??= sweep.readAll().then(
      (records) => {
        for (const r of records) remember(r);
        logger.info('health view loaded', { records: records.length, pages: sweep.pagesPerCycle });
      },
      (error: unknown) => {
        loaded = undefined;
        throw error;
      },
    );
    return loaded;
  }

  /** The store as the writer sees it: every record it reads or writes lands in the view. */
  const viewed: VersionedRecords<HealthRecord> = {
    async get(agentId) {
      const r = await store.get(agentId);
      remember(r);
      return r;
    },
    async write(next) {
      const outcome = await store.write(next);
      if (outcome === 'written') remember(next);
      return outcome;
    },
  };

  const writer = createOutboxWriter<HealthRecord>({
    records: viewed,
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
    return written.outbox.length > 0 ? writer.flush(written) : written;
  }

  async function checkAgents(agentIds: readonly string[], signal?: AbortSignal): Promise<void> {
    const records = (await Promise.all(agentIds.map((id) => viewed.get(id)))).filter(
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
    return poll(() => true, signal);
  }

  async function pollUnsettled(signal?: AbortSignal): Promise<PollSummary> {
    return poll((r) => !isSettled(r), signal);
  }

  /** Publishes what is pending, then looks at the watched tasks of the records `which` picks. */
  async function poll(which: (r: HealthRecord) => boolean, signal?: AbortSignal): Promise<PollSummary> {
    await ensureLoaded();
    // Events decided before a crash (or a failed publish) go out now.
    for (const r of [...view.values()].filter((x) => x.outbox.length > 0)) {
      await withLock(r.agentId, async () => {
        const current = await viewed.get(r.agentId);
        if (current !== undefined && current.outbox.length > 0) await writer.flush(current);
      }).catch((error: unknown) => {
        logger.warn('could not publish pending events; next poll tries again', { agentId: r.agentId, error });
      });
    }
    const records = [...view.values()].filter(which);
    const changed = await observeAndDecide(records, signal);
    return { watched: records.filter(isWatched).length, changed };
  }

  async function sweepStep(signal?: AbortSignal): Promise<boolean> {
    await ensureLoaded();
    const step = await settledSweep.step();
    if (step === undefined) return false;
    const records = step.items
      .map((id) => view.get(id))
      .filter((r): r is HealthRecord => r !== undefined && isSettled(r));
    await observeAndDecide(records, signal);
    return true;
  }

  /** One page of the resync, if one is due: the view learns what another replica wrote. */
  async function resyncStep(): Promise<boolean> {
    await ensureLoaded();
    const step = await sweep.step();
    if (step === undefined) return false;
    for (const r of step.items) remember(r);
    return true;
  }

  async function flushMetrics(): Promise<void> {
    await ensureLoaded();
    const records = [...view.values()];
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

  /**
   * One look: the agents triggered since the last, the unsettled tasks when the poll is due, a
   * page of the settled ones when the sweep's next is due, the table's resync, metrics when due.
   */
  async function pass(signal: AbortSignal): Promise<void> {
    const wallNow = Date.now();
    if (triggered.size > 0) {
      const agents = [...triggered];
      triggered.clear();
      await checkAgents(agents, signal);
    }
    if (wallNow >= nextPoll) {
      nextPoll = wallNow + deps.pollIntervalMs;
      await pollUnsettled(signal);
    }
    if (settledSweep.dueInMs() <= 0) await sweepStep(signal);
    if (sweep.dueInMs() <= 0) await resyncStep();
    if (wallNow >= nextMetrics) {
      nextMetrics = wallNow + deps.metricsIntervalMs;
      await flushMetrics();
    }
  }

  const loop = createTriggerLoop({
    pass,
    idleMs: () =>
      Math.min(nextPoll - Date.now(), nextMetrics - Date.now(), settledSweep.dueInMs(), sweep.dueInMs()),
    onError: (error) => {
      logger.warn('health poll failed; trying again at the next one', { error });
      return undefined;
    },
  });

  return {
    applyEvent: (event) =>
      'agentId' in event.data
        ? withLock(event.data.agentId, async () => {
            await update(event.data.agentId, (current) => applyEvent(current, event, environment));
          })
        : Promise.resolve(),
    trigger(agentId) {
      triggered.add(agentId);
      loop.trigger();
    },
    agentOfTask: (taskArn) => taskIndex.get(taskArn),
    pollOnce,
    pollUnsettled,
    sweepStep,
    checkAgents,
    flushMetrics,
    resyncStep,
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
