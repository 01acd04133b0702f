import {
  currentLaunch,
  isCrashLooping,
  pendingReplacement,
  pendingWake,
  sleepInForce,
  retirementPending,
  wantsToRun,
  type AgentRecord,
} from './agent-record.ts';
import { launchToken } from './launch-token.ts';

/** A task the runner reports as not stopped, with the agent id it is tagged with. */
export interface ObservedTask {
  readonly taskArn: string;
  /** Undefined for a task of ours that carries no agent id: it belongs to nobody and is stopped. */
  readonly agentId: string | undefined;
  /** When it was started (ISO), if the runner knows. */
  readonly startedAt?: string | undefined;
}

export type Action =
  | {
      readonly kind: 'stop';
      readonly taskArn: string;
      readonly agentId: string | undefined;
      readonly reason: string;
    }
  | {
      readonly kind: 'launch';
      readonly agentId: string;
      readonly clientToken: string;
      readonly hireEventId: string;
      readonly restartEventId?: string | undefined;
      readonly secretArn: string;
    }
  /** A running task the record does not name: started before a crash, never recorded. */
  | {
      readonly kind: 'adopt';
      readonly agentId: string;
      readonly taskArn: string;
      /** The restart request the task answers (it started after the request). */
      readonly restartEventId?: string | undefined;
    }
  /** The agent's tasks are stopped for its sleep: record and report it (AgentAsleep), once. */
  | {
      readonly kind: 'report-asleep';
      readonly agentId: string;
      readonly sleepEventId: string;
      readonly afterStopping: readonly string[];
    }
  /** A recorded launch whose AgentLaunching was never published. */
  | { readonly kind: 'report-launch'; readonly agentId: string; readonly taskArn: string }
  /** Release the storage and report the retirement, once the listed tasks are stopped. */
  | {
      readonly kind: 'finish-retirement';
      readonly agentId: string;
      readonly afterStopping: readonly string[];
    };

export interface Plan {
  readonly actions: readonly Action[];
  /** The earliest moment a waiting agent becomes due (a restart's notBefore, a launch retry). */
  readonly wakeAt?: string | undefined;
  /** When each waiting agent becomes due, so a pass over some agents can wake for just those. */
  readonly wakes: ReadonlyMap<string, string>;
}

/**
 * The level-triggered heart of provisioning: desired state (the records) against observed state
 * (the tasks), and the actions that close the gap. Pure, so any interleaving of events, crashes
 * and restarts can be replayed against it. The rules:
 * - an agent that wants to run has exactly one task: none -> launch (after a restart's back-off),
 *   more than one -> keep the recorded (else the oldest) and stop the rest;
 * - a task that a pending replacement (a restart, a rotated secret) replaces is stopped; the new
 *   one starts after `notBefore`;
 * - a task dead since its launch is not relaunched here: health decides, with back-off, and asks;
 * - a retired agent's tasks are stopped and its retirement finished; a task of an agent the
 *   records do not want running (unknown, not ready, no agent tag) is stopped;
 * - a crash-looping agent is left as it is: no restart, no stop, until an operator acts;
 * - an agent whose newest request is to sleep has no task: its tasks are stopped on purpose, then
 *   AgentAsleep is reported once; a wake newer than that sleep launches it again (ADR 0019).
 */
export function reconcile(
  records: readonly AgentRecord[],
  observed: readonly ObservedTask[],
  now: Date,
): Plan {
  const nowIso = now.toISOString();
  const actions: Action[] = [];
  let wakeAt: string | undefined;
  const wakes = new Map<string, string>();
  const wake = (agentId: string, at: string): void => {
    if (wakeAt === undefined || at < wakeAt) wakeAt = at;
    const known = wakes.get(agentId);
    if (known === undefined || at < known) wakes.set(agentId, at);
  };

  const tasksByAgent = new Map<string, ObservedTask[]>();
  for (const task of observed) {
    if (task.agentId === undefined) {
      actions.push({
        kind: 'stop',
        taskArn: task.taskArn,
        agentId: undefined,
        reason: 'task carries no agent id',
      });
      continue;
    }
    tasksByAgent.set(task.agentId, [...(tasksByAgent.get(task.agentId) ?? []), task]);
  }

  const known = new Set<string>();
  for (const record of records) {
    known.add(record.agentId);
    const tasks = tasksByAgent.get(record.agentId) ?? [];
    const stop = (task: ObservedTask, reason: string): void => {
      actions.push({ kind: 'stop', taskArn: task.taskArn, agentId: record.agentId, reason });
    };

    if (retirementPending(record)) {
      for (const task of tasks) stop(task, 'agent retired');
      actions.push({
        kind: 'finish-retirement',
        agentId: record.agentId,
        afterStopping: tasks.map((t) => t.taskArn),
      });
      continue;
    }
    if (!wantsToRun(record)) {
      if (isCrashLooping(record)) continue;
      for (const task of tasks) stop(task, 'agent is not meant to run');
      continue;
    }

    const hired = record.hired;
    const secretArn = record.credentials?.secretArn;
    if (hired === undefined || secretArn === undefined) continue; // wantsToRun guarantees both
    const launch = currentLaunch(record);

    // Asleep (ADR 0019): no task, on purpose. Storage, account, rooms and secret stay.
    const sleep = sleepInForce(record);
    if (sleep !== undefined) {
      for (const task of tasks) stop(task, `sleep (${sleep.reason})`);
      if (record.asleep?.sleepEventId !== sleep.eventId) {
        actions.push({
          kind: 'report-asleep',
          agentId: record.agentId,
          sleepEventId: sleep.eventId,
          afterStopping: tasks.map((t) => t.taskArn),
        });
      }
      continue;
    }
    const woken = pendingWake(record);
    if (woken !== undefined) {
      // A task started after the wake is its answer (a provisioning that crashed mid-wake); one
      // still running from before (the sleep was never carried out) answers it as well.
      if (tasks.length > 0) {
        const keep =
          oldestOf(tasks.filter((t) => t.startedAt !== undefined && t.startedAt > woken.at)) ??
          tasks.find((t) => t.taskArn === launch?.taskArn) ??
          oldest(tasks);
        for (const task of tasks) if (task !== keep) stop(task, 'a second task for the same agent');
        actions.push({
          kind: 'adopt',
          agentId: record.agentId,
          taskArn: keep.taskArn,
          restartEventId: woken.eventId,
        });
        continue;
      }
      const failure = record.launchFailure;
      if (
        failure !== undefined &&
        failure.hireEventId === hired.eventId &&
        failure.restartEventId === woken.eventId &&
        failure.retryAfter > nowIso
      ) {
        wake(record.agentId, failure.retryAfter);
        continue;
      }
      actions.push({
        kind: 'launch',
        agentId: record.agentId,
        clientToken: launchToken(record.agentId, hired.eventId, woken.eventId),
        hireEventId: hired.eventId,
        restartEventId: woken.eventId,
        secretArn,
      });
      continue;
    }
    const restart = pendingReplacement(record);

    if (restart !== undefined && tasks.length > 0) {
      // Tasks from before the request are what it replaces; one started after it is its answer,
      // launched by a provisioning that crashed before recording it.
      const answers = tasks.filter((t) => t.startedAt !== undefined && t.startedAt > restart.at);
      for (const task of tasks)
        if (!answers.includes(task)) stop(task, `restart requested: ${restart.reason}`);
      if (answers.length === 0) continue;
      const keep = oldest(answers);
      for (const task of answers) if (task !== keep) stop(task, 'a second task for the same agent');
      actions.push({
        kind: 'adopt',
        agentId: record.agentId,
        taskArn: keep.taskArn,
        restartEventId: restart.eventId,
      });
      continue;
    }
    if (tasks.length > 0) {
      const keep = tasks.find((t) => t.taskArn === launch?.taskArn) ?? oldest(tasks);
      for (const task of tasks) if (task !== keep) stop(task, 'a second task for the same agent');
      if (launch?.taskArn !== keep.taskArn) {
        actions.push({ kind: 'adopt', agentId: record.agentId, taskArn: keep.taskArn });
      } else if (!launch.reported) {
        actions.push({ kind: 'report-launch', agentId: record.agentId, taskArn: keep.taskArn });
      }
      continue;
    }

    // No task. The first launch of a hire goes now; a relaunch only when health asked for it.
    if (launch !== undefined && restart === undefined) {
      if (!launch.reported)
        actions.push({ kind: 'report-launch', agentId: record.agentId, taskArn: launch.taskArn });
      continue;
    }
    if (restart !== undefined && restart.notBefore > nowIso) {
      wake(record.agentId, restart.notBefore);
      continue;
    }
    const restartEventId = restart?.eventId;
    const failure = record.launchFailure;
    if (
      failure !== undefined &&
      failure.hireEventId === hired.eventId &&
      failure.restartEventId === restartEventId &&
      failure.retryAfter > nowIso
    ) {
      wake(record.agentId, failure.retryAfter);
      continue;
    }
    actions.push({
      kind: 'launch',
      agentId: record.agentId,
      clientToken: launchToken(record.agentId, hired.eventId, restartEventId),
      hireEventId: hired.eventId,
      ...(restartEventId === undefined ? {} : { restartEventId }),
      secretArn,
    });
  }

  for (const [agentId, tasks] of tasksByAgent) {
    if (known.has(agentId)) continue;
    for (const task of tasks) {
      actions.push({ kind: 'stop', taskArn: task.taskArn, agentId, reason: 'no such agent in the fleet' });
    }
  }
  return { actions, wakes, ...(wakeAt === undefined ? {} : { wakeAt }) };
}

function oldest(tasks: readonly ObservedTask[]): ObservedTask {
  return oldestOf(tasks) as ObservedTask;
}

function oldestOf(tasks: readonly ObservedTask[]): ObservedTask | undefined {
  // Sorted by start time, unknown last, then by ARN so every instance picks the same one.
  const sorted = [...tasks].sort(
    (a, b) =>
      (a.startedAt ?? '\uffff').localeCompare(b.startedAt ?? '\uffff') || a.taskArn.localeCompare(b.taskArn),
  );
  return sorted[0];
}
