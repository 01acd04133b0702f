import { randomUUID } from 'node:crypto';
import { errorMessage, isRetryable } from '@ocf/errors';
import { retirementSteps, type CreateEventOptions } from '@ocf/events';
import type { Logger } from '@ocf/logging';
import {
  backoffDelayMs,
  createPacedSweep,
  createTriggerLoop,
  type BackoffPolicy,
  type EventPublisher,
} from '@ocf/runtime';
import {
  currentLaunch,
  isRetired,
  type AgentRecord,
  type EventFact,
  type LaunchFailure,
  type LaunchRecord,
} from './domain/agent-record.ts';
import { reconcile, type Action, type ObservedTask } from './domain/reconcile.ts';
import type { LaunchLimiter } from './launch-limiter.ts';
import { TaskRunnerError, type AgentStateStore, type TaskRunner } from './ports.ts';

export interface ReconcilerDeps {
  readonly store: AgentStateStore;
  readonly runner: TaskRunner;
  readonly publisher: EventPublisher;
  readonly limiter: LaunchLimiter;
  readonly logger: Logger;
  readonly now?: () => Date;
  /**
   * Every agent is reconciled at least this often, whatever the events say: the level-triggered
   * safety net, read a page per tick with the pages spread over the interval (ADR 0029).
   */
  readonly resyncIntervalMs: number;
  /** Records per resync page (default 100). */
  readonly resyncPageSize?: number;
  /** RunTask calls in flight at once (each starts one agent's task). */
  readonly launchConcurrency?: number;
  /** Throttled attempts at one launch within a pass before it waits for the next pass. */
  readonly maxThrottledAttempts?: number;
  /** When a failed launch (not throttling) is tried again. */
  readonly launchRetryBackoff?: BackoffPolicy;
  /** Failed attempts at one launch before CascadeStepFailed reports it (a permanent failure reports at once). */
  readonly reportLaunchFailureAfter?: number;
}

export interface PassSummary {
  readonly desired: number;
  readonly observed: number;
  readonly launched: number;
  readonly stopped: number;
  readonly adopted: number;
  readonly retired: number;
  readonly failed: number;
  readonly durationMs: number;
  readonly wakeAt?: string | undefined;
}

export interface Reconciler {
  /**
   * Something changed (an event was recorded): a pass soon over the agent named (all of them if
   * none is). Triggers during a pass coalesce into one more.
   */
  trigger(reason: string, agentId?: string): void;
  /**
   * Starts the loop: a full pass now, then passes over the agents triggered, at their restart's due
   * time, and a resync page whenever one is due.
   */
  start(): void;
  /** Stops the loop; an in-flight pass is aborted between calls. */
  stop(): Promise<void>;
  /** One full pass (every record, every task), now; passes never overlap. For tests and the benchmark. */
  runOnce(signal?: AbortSignal): Promise<PassSummary>;
  /**
   * What the loop does when it wakes: a pass over the agents triggered or due, with the resync's
   * next page if that is due; undefined if there was nothing to do. For tests.
   */
  runDue(signal?: AbortSignal): Promise<PassSummary | undefined>;
  /**
   * The agent's hire was announced again (the directory's cascade resync, ADR 0024): its current
   * launch, if it was reported, is reported again as the same AgentLaunching (same id and time),
   * in case that report was lost. Between passes, so it reads the launch as the passes left it.
   */
  reannounce(agentId: string): Promise<boolean>;
  /**
   * Whole passes so far: full passes and resync cycles completed, each of which looked at every
   * agent and every task (a test that waits for "two more passes" waits for two whole looks).
   * Passes over the agents an event named do not count.
   */
  readonly passes: number;
}

/**
 * Runs the reconcile loop (ADR 0010): reads every record and every task, plans with the pure
 * `reconcile`, and carries the plan out — stops first, then bookkeeping, then launches paced by
 * the launch limiter. Each pass starts from what is observed, so a crash anywhere in between is
 * repaired by the next pass: a task started but not recorded is adopted, a launch recorded but
 * not reported is reported.
 */
export function createReconciler(deps: ReconcilerDeps): Reconciler {
  const { store, runner, publisher, limiter, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const launchConcurrency = deps.launchConcurrency ?? 10;
  const maxThrottledAttempts = deps.maxThrottledAttempts ?? 8;
  const retryBackoff = deps.launchRetryBackoff ?? { baseMs: 5_000, maxMs: 5 * 60_000 };
  const reportAfter = deps.reportLaunchFailureAfter ?? 3;

  let passes = 0;
  /** Agents an event named, or a pass left unfinished: the next pass looks at them. */
  const dirty = new Set<string>();
  /** The next pass reads everything (at start, or when a trigger named no agent). */
  let fullDue = true;
  /** The next pass also looks at tasks that carry no agent id (a stop of one failed). */
  let straysDue = false;
  /** When each waiting agent (a restart's back-off, a launch retry) becomes due. */
  const wakes = new Map<string, string>();
  const sweep = createPacedSweep<AgentRecord>({
    readPage: (cursor, limit) => store.page(cursor, limit),
    intervalMs: deps.resyncIntervalMs,
    pageSize: deps.resyncPageSize ?? 100,
    now: () => now().getTime(),
  });
  /** Agents the sweep's cycle under way has read: when it ends, a task of anyone else is looked at. */
  let cycleSeen = new Set<string>();
  /** The last page of a cycle was read but its pass failed: the end-of-cycle look is still owed. */
  let cycleEndDue = false;
  /**
   * The tasks as last listed (every pass that lists them refreshes it). A resync page is first
   * compared with this listing; only if that shows something to do is the fleet listed again and
   * the plan made from what is there now (ADR 0037). On ECS a listing is one ListTasks per 100
   * tasks, so listing on every page would cost pages × tasks / 100 calls per cycle.
   */
  let lastListing: readonly ObservedTask[] | undefined;

  async function listTasks(signal: AbortSignal): Promise<readonly ObservedTask[]> {
    lastListing = await runner.observe({ signal });
    return lastListing;
  }

  const earliestWake = (): string | undefined =>
    [...wakes.values()].reduce<string | undefined>((a, b) => (a === undefined || b < a ? b : a), undefined);

  const loop = createTriggerLoop({
    pass: async (signal) => {
      await tick(signal);
    },
    // The next resync page, or sooner when a restart's back-off ends before it.
    idleMs: () => {
      const wake = earliestWake();
      return Math.min(sweep.dueInMs(), wake === undefined ? Infinity : Date.parse(wake) - now().getTime());
    },
    onError: (error, failuresInARow) => {
      const delayMs = backoffDelayMs(failuresInARow, { baseMs: 1_000, maxMs: 30_000 });
      logger.warn('reconcile pass failed; trying again', { error, delayMs });
      return delayMs;
    },
  });
  /** Something a pass could not finish for this agent (none: a task of nobody's): the next pass tries again, right after this one. */
  const again = (agentId: string | undefined): void => {
    if (agentId === undefined) straysDue = true;
    else dirty.add(agentId);
    loop.trigger();
  };

  function trigger(reason: string, agentId?: string): void {
    logger.debug('reconcile triggered', { reason });
    if (agentId === undefined) fullDue = true;
    else dirty.add(agentId);
    loop.trigger();
  }

  function runOnce(signal?: AbortSignal): Promise<PassSummary> {
    return loop.exclusive((stopping) => fullPass(signal ?? stopping));
  }

  function runDue(signal?: AbortSignal): Promise<PassSummary | undefined> {
    return loop.exclusive((stopping) => tick(signal ?? stopping));
  }

  async function fullPass(signal: AbortSignal): Promise<PassSummary> {
    fullDue = false;
    try {
      const [records, observed] = await Promise.all([sweep.readAll(), listTasks(signal)]);
      cycleSeen = new Set();
      cycleEndDue = false;
      straysDue = false;
      wakes.clear();
      return await pass(records, observed, signal, { whole: true });
    } catch (error) {
      fullDue = true;
      throw error;
    }
  }

  /**
   * The loop's pass: the agents events named (read one by one), those whose wait is over, and the
   * resync's next page if it is due — with only their tasks. No whole-table read (ADR 0029).
   */
  async function tick(signal: AbortSignal): Promise<PassSummary | undefined> {
    if (fullDue) return fullPass(signal);
    const nowIso = now().toISOString();
    for (const [agentId, at] of wakes) if (at <= nowIso) dirty.add(agentId);
    const named = [...dirty];
    dirty.clear();
    const strays = straysDue;
    straysDue = false;
    let page: AgentRecord[] = [];
    let cycleDone = cycleEndDue;
    try {
      const step = await sweep.step();
      if (step !== undefined) {
        page = [...step.items];
        cycleDone ||= step.cycleDone;
      }
      if (named.length === 0 && page.length === 0 && !cycleDone && !strays) return undefined;
      // What an event named, the end of a cycle and a stray's stop are planned from a listing made
      // now; a page of the resync alone starts from the last one (see lastListing).
      const listedNow = named.length > 0 || cycleDone || strays || lastListing === undefined;
      let observedAll = listedNow ? await listTasks(signal) : (lastListing ?? []);
      const records = new Map<string, AgentRecord>();
      for (const r of page) {
        records.set(r.agentId, r);
        cycleSeen.add(r.agentId);
      }
      // What an event named is read afresh: a page read earlier may predate the event.
      const wanted = new Set([...records.keys(), ...named]);
      if (cycleDone) {
        // The cycle saw every record that existed when it began; a task of an agent it did not see
        // belongs to an agent hired since, or to nobody (stopped, as an unknown agent's).
        for (const task of observedAll)
          if (task.agentId !== undefined && !cycleSeen.has(task.agentId)) wanted.add(task.agentId);
      }
      const toRead = [...wanted].filter((id) => named.includes(id) || !records.has(id));
      for (const r of await Promise.all(toRead.map((id) => store.get(id))))
        if (r !== undefined) records.set(r.agentId, r);
      const inScope = (tasks: readonly ObservedTask[]) =>
        tasks.filter((t) => (t.agentId === undefined ? cycleDone || strays : wanted.has(t.agentId)));
      if (!listedNow && reconcile([...records.values()], inScope(observedAll), now()).actions.length > 0) {
        // The page needs something done: no action is ever planned from an older listing.
        observedAll = await listTasks(signal);
      }
      const observed = inScope(observedAll);
      const summary = await pass([...records.values()], observed, signal, {
        whole: cycleDone,
        scope: wanted,
      });
      if (cycleDone) {
        cycleSeen = new Set();
        cycleEndDue = false;
      }
      return summary;
    } catch (error) {
      // Nothing is lost: the agents of this pass are looked at again on the next.
      for (const id of [...named, ...page.map((r) => r.agentId)]) dirty.add(id);
      if (strays) straysDue = true;
      if (cycleDone) cycleEndDue = true;
      throw error;
    }
  }

  /**
   * Plans with the pure `reconcile` and carries the plan out. `scope` names the agents this pass
   * looked at (all of them when undefined): only their wake-ups are replaced. `whole`: this pass
   * completes a look at every agent (it counts in `passes`).
   */
  async function pass(
    records: readonly AgentRecord[],
    observed: readonly ObservedTask[],
    signal: AbortSignal,
    { whole, scope }: { readonly whole: boolean; readonly scope?: ReadonlySet<string> },
  ): Promise<PassSummary> {
    const started = now();
    const plan = reconcile(records, observed, now());
    // Before the actions: a launch that fails below sets its own retry time.
    for (const id of scope ?? []) wakes.delete(id);
    for (const [id, at] of plan.wakes) wakes.set(id, at);
    const byAgent = new Map(records.map((r) => [r.agentId, r]));
    const counts = { launched: 0, stopped: 0, adopted: 0, retired: 0, failed: 0 };

    const stops = plan.actions.filter((a) => a.kind === 'stop');
    const stoppedArns = new Set<string>();
    await inParallel(stops, launchConcurrency, async (action) => {
      try {
        await runner.stop({
          taskArn: action.taskArn,
          agentId: action.agentId,
          reason: action.reason,
          signal,
        });
        stoppedArns.add(action.taskArn);
        counts.stopped++;
        logger.info('task stopped', {
          agentId: action.agentId,
          taskArn: action.taskArn,
          reason: action.reason,
        });
      } catch (error) {
        counts.failed++;
        logger.warn('could not stop a task; next pass tries again', { taskArn: action.taskArn, error });
        again(action.agentId);
      }
    });

    for (const action of plan.actions) {
      if (signal.aborted) break;
      const record = byAgent.get(action.agentId ?? '');
      if (record === undefined) continue;
      try {
        if (action.kind === 'adopt') {
          await recordAndReport(record, action.taskArn, 'adopted', action.restartEventId);
          counts.adopted++;
        } else if (action.kind === 'report-launch') {
          const launch = currentLaunch(record);
          if (launch !== undefined) await report(record, launch);
        } else if (action.kind === 'report-asleep') {
          if (action.afterStopping.every((arn) => stoppedArns.has(arn))) {
            await reportAsleep(record, action.sleepEventId, action.afterStopping[0]);
          }
        } else if (action.kind === 'finish-retirement') {
          if (action.afterStopping.every((arn) => stoppedArns.has(arn))) {
            await finishRetirement(record, signal);
            counts.retired++;
          }
        }
      } catch (error) {
        counts.failed++;
        again(record.agentId);
        logger.warn('could not finish an action; next pass tries again', {
          agentId: record.agentId,
          action: action.kind,
          error,
        });
      }
    }

    const launches = plan.actions.filter((a) => a.kind === 'launch');
    await inParallel(launches, launchConcurrency, async (action) => {
      const record = byAgent.get(action.agentId);
      if (record === undefined || signal.aborted) return;
      const outcome = await launch(record, action, signal);
      if (outcome === 'launched') counts.launched++;
      else counts.failed++;
    });

    if (whole) passes++;
    const summary: PassSummary = {
      desired: records.length,
      observed: observed.length,
      ...counts,
      durationMs: now().getTime() - started.getTime(),
      wakeAt: plan.wakeAt,
    };
    if (counts.launched + counts.stopped + counts.adopted + counts.retired + counts.failed > 0) {
      logger.info('reconcile pass', { ...summary });
    }
    return summary;
  }

  async function launch(
    record: AgentRecord,
    action: Extract<Action, { kind: 'launch' }>,
    signal: AbortSignal,
  ): Promise<'launched' | 'failed'> {
    const log = logger.with({ agentId: record.agentId });
    let taskArn: string;
    for (let attempt = 1; ; attempt++) {
      await limiter.acquire(signal);
      try {
        ({ taskArn } = await runner.launch({
          agentId: action.agentId,
          clientToken: action.clientToken,
          secretArn: action.secretArn,
          signal,
        }));
        break;
      } catch (error) {
        if (signal.aborted) return 'failed';
        if (error instanceof TaskRunnerError && error.throttled) {
          if (attempt < maxThrottledAttempts) {
            log.info('launch throttled; backing off', { attempt });
            await limiter.throttled(attempt, signal);
            continue;
          }
          log.warn('launch still throttled; the next pass tries again', { attempts: attempt });
          again(record.agentId);
          return 'failed';
        }
        await recordLaunchFailure(record, action, error);
        return 'failed';
      }
    }
    log.info('task launched', { taskArn, restartEventId: action.restartEventId });
    try {
      await recordAndReport(record, taskArn, 'launched', action.restartEventId);
      if (record.launchFailure !== undefined) await store.setLaunchFailure(record.agentId, undefined);
    } catch (error) {
      // The task runs; the next pass finds it (adopt) or its record (report) and finishes this.
      log.warn('launched, but could not record or report it yet', { taskArn, error });
      again(record.agentId);
    }
    return 'launched';
  }

  async function recordAndReport(
    record: AgentRecord,
    taskArn: string,
    how: 'launched' | 'adopted',
    restartEventId?: string,
  ): Promise<void> {
    const hired = record.hired;
    if (hired === undefined) return;
    const launch: LaunchRecord = {
      at: now().toISOString(),
      taskArn,
      eventId: randomUUID(),
      hireEventId: hired.eventId,
      ...(restartEventId === undefined ? {} : { restartEventId }),
      reported: false,
    };
    await store.setLaunch(record.agentId, launch);
    if (how === 'adopted') logger.info('adopted a running task', { agentId: record.agentId, taskArn });
    await report(record, launch);
  }

  async function report(record: AgentRecord, launch: LaunchRecord): Promise<void> {
    const answered = [record.restart, record.rotation, record.wake].find(
      (fact) => fact !== undefined && fact.eventId === launch.restartEventId,
    );
    const cause: EventFact | undefined = answered ?? record.hired;
    await publisher.emit(
      'AgentLaunching',
      { agentId: record.agentId, taskArn: launch.taskArn },
      {
        ...causedBy(cause),
        ...(launch.eventId === undefined ? {} : { eventId: launch.eventId, now: new Date(launch.at) }),
      },
    );
    const wake = record.wake;
    if (wake !== undefined && wake.eventId === launch.restartEventId) {
      await publisher.emit(
        'AgentAwake',
        { agentId: record.agentId, taskArn: launch.taskArn, wakeSeenAt: wake.seenAt },
        causedBy(wake),
      );
    }
    await store.setLaunch(record.agentId, { ...launch, reported: true });
  }

  async function reportAsleep(record: AgentRecord, sleepEventId: string, taskArn?: string): Promise<void> {
    const sleep = record.sleep;
    if (sleep?.eventId !== sleepEventId) return;
    const stoppedTask = taskArn ?? currentLaunch(record)?.taskArn;
    await publisher.emit(
      'AgentAsleep',
      {
        agentId: record.agentId,
        reason: sleep.reason,
        ...(stoppedTask === undefined ? {} : { taskArn: stoppedTask }),
      },
      causedBy(sleep),
    );
    await store.setAsleep(record.agentId, {
      sleepEventId,
      at: now().toISOString(),
      ...(stoppedTask === undefined ? {} : { taskArn: stoppedTask }),
    });
    logger.info('agent asleep', { agentId: record.agentId, reason: sleep.reason, taskArn: stoppedTask });
  }

  async function recordLaunchFailure(
    record: AgentRecord,
    action: Extract<Action, { kind: 'launch' }>,
    error: unknown,
  ): Promise<void> {
    const previous = record.launchFailure;
    const same =
      previous !== undefined &&
      previous.hireEventId === action.hireEventId &&
      previous.restartEventId === action.restartEventId;
    const attempts = (same ? previous.attempts : 0) + 1;
    const reason = `launch failed: ${errorMessage(error)}`.slice(0, 2000);
    let reported = same && previous.reported;
    if (!reported && (attempts >= reportAfter || !isRetryable(error))) {
      try {
        await publisher.emit(
          'CascadeStepFailed',
          { agentId: record.agentId, step: 'task', reason },
          causedBy(record.hired),
        );
        reported = true;
      } catch (publishError) {
        logger.warn('could not report the failed launch', { agentId: record.agentId, error: publishError });
      }
    }
    const failure: LaunchFailure = {
      hireEventId: action.hireEventId,
      ...(action.restartEventId === undefined ? {} : { restartEventId: action.restartEventId }),
      attempts,
      retryAfter: new Date(now().getTime() + backoffDelayMs(attempts, retryBackoff, () => 1)).toISOString(),
      reason,
      reported,
    };
    // Tried again when its back-off ends, not only when the resync reaches it.
    wakes.set(record.agentId, failure.retryAfter);
    logger.warn('launch failed', {
      agentId: record.agentId,
      attempts,
      retryAfter: failure.retryAfter,
      error,
    });
    await store.setLaunchFailure(record.agentId, failure).catch((storeError: unknown) => {
      logger.warn('could not record the failed launch', { agentId: record.agentId, error: storeError });
    });
  }

  async function finishRetirement(record: AgentRecord, signal: AbortSignal): Promise<void> {
    const retired = record.retired;
    if (retired === undefined) return;
    const launch = currentLaunch(record);
    let archiveLocation: string | undefined;
    // Only what this hire got as far as doing (the cascade's rule, shared with the directory and
    // health): no launch, no task to report and no storage.
    const owed = retirementSteps({ task: launch });
    if (launch !== undefined && owed.includes('task')) {
      await publisher.emit(
        'AgentStopped',
        { agentId: record.agentId, taskArn: launch.taskArn, expected: true, reason: 'agent retired' },
        causedBy(retired),
      );
    }
    if (owed.includes('memory')) {
      ({ archiveLocation } = await runner.releaseStorage(record.agentId, { signal }));
      await publisher.emit('MemoryArchived', { agentId: record.agentId, archiveLocation }, causedBy(retired));
    }
    await store.setRetirement(record.agentId, {
      retiredEventId: retired.eventId,
      at: now().toISOString(),
      ...(archiveLocation === undefined ? {} : { archiveLocation }),
    });
    logger.info('retirement done', { agentId: record.agentId, archiveLocation });
  }

  function reannounce(agentId: string): Promise<boolean> {
    return loop.exclusive(async () => {
      const record = await store.get(agentId);
      const launch = record === undefined ? undefined : currentLaunch(record);
      // Unreported, or without its id (an older record): the passes report it, or it stands.
      if (record === undefined || launch === undefined || !launch.reported || launch.eventId === undefined)
        return false;
      if (isRetired(record)) return false;
      await publisher.emit(
        'AgentLaunching',
        { agentId, taskArn: launch.taskArn },
        { eventId: launch.eventId, now: new Date(launch.at), ...causedBy(record.hired) },
      );
      logger.info('launch reported again', { agentId, taskArn: launch.taskArn, eventId: launch.eventId });
      return true;
    });
  }

  return {
    trigger,
    reannounce,
    start: () => {
      loop.start();
    },
    stop: () => loop.stop(),
    runOnce,
    runDue,
    get passes() {
      return passes;
    },
  };
}

function causedBy(fact: EventFact | undefined): CreateEventOptions {
  return fact === undefined ? {} : { correlationId: fact.correlationId, causationId: fact.eventId };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
