import {
  HIRE_STEPS_UNDONE_ON_RETIREMENT,
  isRetirementComplete,
  type AnyFleetEvent,
  type CascadeStep,
  type HireReach,
  type ReachedHireStep,
} from '@ocf/events';
import type { AgentStatus, CascadeProgress, StepStatus } from './agent.ts';

/**
 * The status projection. Events arrive in any order and more than once, so the status is never
 * "the last event seen": each step keeps its own latest fact (by the event's occurredAt), and the
 * status is derived from all of them. Replaying any permutation gives the same answer.
 */

export const EMPTY_PROGRESS: CascadeProgress = { hire: {}, retire: {} };

type Phase = 'hire' | 'retire';

/** Applies one cascade event; returns the same object when the event changes nothing. */
export function applyEvent(progress: CascadeProgress, event: AnyFleetEvent): CascadeProgress {
  const at = event.metadata.occurredAt;
  switch (event.type) {
    case 'CredentialsIssued':
      return setStep(progress, 'hire', 'credentials', { state: 'done', at, detail: event.data.secretArn });
    case 'ChatAccountReady':
      return setStep(progress, 'hire', 'chat-account', {
        state: 'done',
        at,
        detail: event.data.matrixUserId,
      });
    case 'AgentLaunching':
      return wakeUp(
        setStep(progress, 'hire', 'task', { state: 'in-progress', at, detail: event.data.taskArn }),
        at,
      );
    case 'AgentRunning':
      return setHealth(
        setStep(progress, 'hire', 'task', { state: 'done', at, detail: event.data.taskArn }),
        'running',
        at,
      );
    case 'AgentUnhealthy':
      return setHealth(progress, 'unhealthy', at, event.data.reason);
    case 'AgentRestartRequested':
      return countRestart(setHealth(progress, 'restarting', at, event.data.reason), at, event.data.reason);
    case 'AgentCrashLooping':
      return setHealth(progress, 'crash-looping', at, event.data.lastReason);
    // Sleep is not trouble: the task is gone on purpose, and a newer launch or run ends it.
    case 'AgentAsleep':
      return progress.health?.state === 'crash-looping'
        ? progress
        : setHealth(progress, 'asleep', at, `asleep (${event.data.reason})`);
    case 'AgentAwake': {
      // Its new task is on its way, as AgentLaunching says too (whichever comes first).
      const woken = wakeUp(
        setStep(progress, 'hire', 'task', { state: 'in-progress', at, detail: event.data.taskArn }),
        at,
      );
      if (progress.wakes !== undefined && progress.wakes.lastAt >= at) return woken;
      return { ...woken, wakes: { count: (progress.wakes?.count ?? 0) + 1, lastAt: at } };
    }
    case 'AgentStopped':
      return event.data.expected
        ? stopHealth(
            setStep(progress, 'retire', 'task', { state: 'done', at, detail: event.data.taskArn }),
            at,
            event.data.reason ?? 'stopped on purpose',
          )
        : setHealth(progress, 'unhealthy', at, event.data.reason ?? 'task stopped');
    case 'CredentialsRevoked':
      return setStep(progress, 'retire', 'credentials', { state: 'done', at, detail: event.data.secretArn });
    case 'ChatAccountDeactivated':
      return setStep(progress, 'retire', 'chat-account', {
        state: 'done',
        at,
        detail: event.data.matrixUserId,
      });
    case 'MemoryArchived':
      return setStep(progress, 'retire', 'memory', { state: 'done', at, detail: event.data.archiveLocation });
    case 'CascadeStepFailed': {
      const phase = progress.retireRequestedAt === undefined ? 'hire' : 'retire';
      // A failure after the step made something (a secret, an account, a launched task) keeps
      // what it made as the detail: the retirement still has that to undo (see hireReach).
      const made = progress[phase][event.data.step]?.detail;
      return setStep(progress, phase, event.data.step, {
        state: 'failed',
        at,
        error: event.data.reason,
        ...(made === undefined ? {} : { detail: made }),
      });
    }
    case 'CredentialsRotated':
      return setStep(progress, 'hire', 'credentials', { state: 'done', at, detail: event.data.secretArn });
    // Requests, not facts about the agent's progress; and model spend, kept beside the cascade
    // (domain/spend.ts).
    case 'CredentialsRotationRequested':
    case 'AgentHired':
    case 'AgentRetired':
    case 'AgentUpdated':
    case 'HireRejected':
    case 'ModelUsageReported':
    case 'AgentBudgetThresholdReached':
    case 'AgentBudgetExhausted':
      return progress;
    // Not the agent's progress, but what the bus says about its activity: the last activity the
    // sleep decision saw, and a person's message that woke it (an operator's wake is not activity).
    case 'AgentSleepRequested':
      return active(progress, event.data.lastActiveAt);
    case 'AgentWakeRequested':
      return event.data.reason === 'operator' ? progress : active(progress, event.data.seenAt);
  }
}

/** How many restart times an agent's record keeps to tell a duplicate request from a late one. */
export const RESTARTS_REMEMBERED = 32;

/**
 * Counts a restart request once, in any order of delivery: a request at a time already seen is a
 * duplicate; one older than every time remembered is taken as one (a record keeps the latest few
 * only). The latest request's time and reason are shown.
 */
function countRestart(progress: CascadeProgress, at: string, reason: string): CascadeProgress {
  const known = progress.restarts;
  const recent = known?.recent ?? [];
  if (recent.includes(at)) return progress;
  if (known !== undefined && recent.length >= RESTARTS_REMEMBERED && (recent[0] ?? '') > at) return progress;
  const latest = known === undefined || at > known.lastAt;
  return {
    ...progress,
    restarts: {
      count: (known?.count ?? 0) + 1,
      lastAt: latest ? at : known.lastAt,
      lastReason: latest ? reason : known.lastReason,
      recent: [...recent, at].sort().slice(-RESTARTS_REMEMBERED),
    },
  };
}

function active(progress: CascadeProgress, at: string | undefined): CascadeProgress {
  if (at === undefined || (progress.lastActiveAt !== undefined && progress.lastActiveAt >= at))
    return progress;
  return { ...progress, lastActiveAt: at };
}

/** Marks the start of retirement; later facts about the hire no longer change the status. */
export function startRetirement(progress: CascadeProgress, at: string): CascadeProgress {
  return progress.retireRequestedAt === undefined ? { ...progress, retireRequestedAt: at } : progress;
}

/**
 * How far the hire got, for the shared retirement rule: a step counts as reached when it made
 * something. A step that failed before making anything (a first launch refused, a secret never
 * written) leaves nothing to undo, and its service reports nothing on retirement; counting it
 * would leave the agent `retiring` for good.
 */
export function hireReach(hire: CascadeProgress['hire']): HireReach {
  const reach: Partial<Record<ReachedHireStep, StepStatus>> = {};
  for (const step of HIRE_STEPS_UNDONE_ON_RETIREMENT) {
    const status = hire[step];
    if (status !== undefined && (status.state !== 'failed' || status.detail !== undefined))
      reach[step] = status;
  }
  return reach;
}

/** The status a person sees, from the facts. */
export function deriveStatus(progress: CascadeProgress): AgentStatus {
  const { hire, retire } = progress;
  if (progress.retireRequestedAt !== undefined) {
    return isRetirementComplete(hireReach(hire), (step) => retire[step]?.state === 'done')
      ? 'retired'
      : 'retiring';
  }
  if (Object.values(hire).some((step) => step.state === 'failed')) return 'failed';
  const health = progress.health?.state;
  if (health !== undefined && health !== 'running' && health !== 'stopped') return health;
  if (hire.task?.state === 'done') return 'running';
  if (hire.task?.state === 'in-progress') return 'launching';
  if (hire['chat-account']?.state === 'done') return 'chat-account-ready';
  if (hire.credentials?.state === 'done') return 'credentials-issued';
  return 'hired';
}

function setStep(
  progress: CascadeProgress,
  phase: Phase,
  step: CascadeStep,
  status: StepStatus,
): CascadeProgress {
  const current = progress[phase][step];
  // An older fact never overwrites a newer one; an equal one (a duplicate) changes nothing.
  if (current !== undefined && current.at >= status.at) return progress;
  return { ...progress, [phase]: { ...progress[phase], [step]: status } };
}

/** A launch or wake newer than the sleep ends it; the task's own progress says the rest. */
function wakeUp(progress: CascadeProgress, at: string): CascadeProgress {
  if (progress.health?.state !== 'asleep' || progress.health.at >= at) return progress;
  return { ...progress, health: { state: 'running', at } };
}

function setHealth(
  progress: CascadeProgress,
  state: Exclude<NonNullable<CascadeProgress['health']>['state'], 'stopped'>,
  at: string,
  detail?: string,
): CascadeProgress {
  // A task stopped on purpose (retirement) is the last word on it, whatever arrives after.
  if (progress.health?.state === 'stopped') return progress;
  if (progress.health !== undefined && progress.health.at >= at) return progress;
  return { ...progress, health: { state, at, ...(detail === undefined ? {} : { detail }) } };
}

/**
 * The task was stopped on purpose: no verdict about it holds any more (a retired agent must not
 * go on showing `running`). Wins over every other verdict, whatever their times, so any order of
 * the same events ends the same; of two such stops, the later one is kept.
 */
function stopHealth(progress: CascadeProgress, at: string, detail: string): CascadeProgress {
  if (progress.health?.state === 'stopped' && progress.health.at >= at) return progress;
  return { ...progress, health: { state: 'stopped', at, detail } };
}
