import type { AgentStatus, CascadeStep, EventData, Level, WakePolicy } from '@ocf/events';

/** Who an agent is in the org. The part a hire sets and an update changes. */
export interface Position {
  readonly name: string;
  readonly title: string;
  readonly level: Level;
  readonly department: string;
  readonly team?: string | undefined;
  /** An agent id, or `ceo`. */
  readonly managerId: string;
  /** Its monthly model budget in US dollars (ADR 0017); absent: no limit of its own. */
  readonly monthlyBudgetUsd?: number | undefined;
  /** Unset: the fleet's default for its level (ADR 0019). */
  readonly wakePolicy?: WakePolicy | undefined;
  /** Unset: the fleet's idle timeout. */
  readonly idleTimeoutSeconds?: number | undefined;
}

export interface HireRequest extends Position {
  readonly agentId: string;
  readonly roleTemplate?: string | undefined;
  readonly model?: string | undefined;
  readonly skills?: readonly string[] | undefined;
}

export type StepState = 'pending' | 'in-progress' | 'done' | 'failed';

export interface StepStatus {
  readonly state: StepState;
  /** When the event that set this state happened (its occurredAt), ISO-8601. */
  readonly at: string;
  readonly detail?: string | undefined;
  readonly error?: string | undefined;
}

/** What the cascade has reported, step by step; the status is derived from it. */
export interface CascadeProgress {
  readonly hire: Partial<Record<CascadeStep, StepStatus>>;
  readonly retire: Partial<Record<CascadeStep, StepStatus>>;
  /** When the retirement was requested; from then on the retire steps decide the status. */
  readonly retireRequestedAt?: string | undefined;
  /**
   * Latest health verdict for the agent's task, and when it was made; `stopped` once the task
   * was stopped on purpose (retirement), which no later verdict overrides.
   */
  readonly health?: {
    readonly state: 'running' | 'unhealthy' | 'restarting' | 'crash-looping' | 'asleep' | 'stopped';
    readonly at: string;
    readonly detail?: string | undefined;
  };
  /**
   * Restarts health asked for (its AgentRestartRequested): how many the directory has seen, the
   * latest one's time and why. A crash loop stops them; sleep and wake are not restarts.
   */
  readonly restarts?:
    | {
        readonly count: number;
        readonly lastAt: string;
        readonly lastReason: string;
        /**
         * The times of the latest requests (at most RESTARTS_REMEMBERED), newest last: what tells a
         * duplicate from a request that arrives late, so the count holds in any order of delivery.
         */
        readonly recent: readonly string[];
      }
    | undefined;
  /** Sleep and wake (ADR 0019): how often the agent was woken, and when last. */
  readonly wakes?: { readonly count: number; readonly lastAt: string } | undefined;
  /**
   * The latest sign of the agent's activity the bus carries (ADR 0018 keeps ordinary chat activity
   * in the bridge): a message that woke it, the last activity a sleep decision saw. Its model
   * calls (modelSpend.asOf) count too, in the view.
   */
  readonly lastActiveAt?: string | undefined;
}

export { AGENT_STATUSES, type AgentStatus } from '@ocf/events';

/** What the model gateway last reported about the agent's spend (ADR 0017). */
export interface ModelSpend {
  readonly month: string;
  readonly costUsd: number;
  readonly calls: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  /** When the gateway read the totals; an older report never replaces a newer one. */
  readonly asOf: string;
  /** A department or fleet budget the gateway said was spent this month (agent budgets show in the numbers). */
  readonly exhausted?:
    | { readonly scope: 'agent' | 'department' | 'fleet'; readonly budgetUsd: number; readonly month: string }
    | undefined;
}

export interface AgentRecord extends HireRequest {
  readonly status: AgentStatus;
  readonly progress: CascadeProgress;
  readonly hiredAt: string;
  readonly updatedAt: string;
  readonly retiredAt?: string | undefined;
  /** The id of the AgentHired event the directory published (stable across republishing). */
  readonly hireEventId: string;
  readonly correlationId: string;
  readonly modelSpend?: ModelSpend | undefined;
  /** Optimistic-locking counter: every write checks and bumps it. */
  readonly version: number;
}

/** The fields of a hire that make two hires "the same"; a retry must match them exactly. */
export function samePosition(a: HireRequest, b: HireRequest): boolean {
  return (
    a.agentId === b.agentId &&
    a.name === b.name &&
    a.title === b.title &&
    a.level === b.level &&
    a.department === b.department &&
    (a.team ?? null) === (b.team ?? null) &&
    a.managerId === b.managerId
  );
}

/**
 * The default agent id (and so chat username) for a name: "Ada Lovelace" -> "ada-lovelace".
 * Two people with one name need an explicit id; the second hire is refused, not renamed.
 */
export function agentIdFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/g, '');
}

export function isActive(agent: AgentRecord): boolean {
  return agent.status !== 'retired' && agent.status !== 'retiring';
}

/** The AgentHired event a recorded hire owes the bus: the request, in the catalogue's shape. */
export function hiredEventData(request: HireRequest): EventData<'AgentHired'> {
  return {
    agentId: request.agentId,
    name: request.name,
    title: request.title,
    level: request.level,
    department: request.department,
    managerId: request.managerId,
    ...(request.team === undefined ? {} : { team: request.team }),
    ...(request.roleTemplate === undefined ? {} : { roleTemplate: request.roleTemplate }),
    ...(request.model === undefined ? {} : { model: request.model }),
    ...(request.skills === undefined ? {} : { skills: [...request.skills] }),
    ...(request.monthlyBudgetUsd === undefined ? {} : { monthlyBudgetUsd: request.monthlyBudgetUsd }),
    ...(request.wakePolicy === undefined ? {} : { wakePolicy: request.wakePolicy }),
    ...(request.idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: request.idleTimeoutSeconds }),
  };
}
