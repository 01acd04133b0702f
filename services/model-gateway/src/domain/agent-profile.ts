import type { EventData } from '@ocf/events';

/**
 * The gateway's copy of what it needs about an agent (ADR 0017): whom to bill (department), whom
 * to tell (manager), how much it may spend, and whether it still works here. Built from the
 * directory's events, which arrive at least once and in any order: each field remembers when the
 * event that set it happened, and an older event never overwrites a newer one.
 */
export interface AgentProfile {
  readonly agentId: string;
  readonly department: string;
  readonly managerId: string;
  /** Absent: no budget of its own (department and fleet limits still apply). */
  readonly monthlyBudgetUsd?: number | undefined;
  readonly status: 'active' | 'retired';
  /** When the event that set each field happened (ISO-8601, its occurredAt). */
  readonly at: {
    readonly department: string;
    readonly managerId: string;
    readonly budget: string;
    readonly status: string;
  };
  readonly version: number;
}

const newer = (candidate: string, current: string): boolean => candidate >= current;

export function applyHired(
  profile: AgentProfile | undefined,
  data: EventData<'AgentHired'>,
  occurredAt: string,
): AgentProfile {
  if (profile === undefined) {
    return {
      agentId: data.agentId,
      department: data.department,
      managerId: data.managerId,
      ...(data.monthlyBudgetUsd === undefined ? {} : { monthlyBudgetUsd: data.monthlyBudgetUsd }),
      status: 'active',
      at: { department: occurredAt, managerId: occurredAt, budget: occurredAt, status: occurredAt },
      version: 0,
    };
  }
  const at = { ...profile.at };
  let next: AgentProfile = profile;
  if (newer(occurredAt, at.department)) {
    next = { ...next, department: data.department };
    at.department = occurredAt;
  }
  if (newer(occurredAt, at.managerId)) {
    next = { ...next, managerId: data.managerId };
    at.managerId = occurredAt;
  }
  if (newer(occurredAt, at.budget)) {
    next = withBudget(next, data.monthlyBudgetUsd);
    at.budget = occurredAt;
  }
  if (newer(occurredAt, at.status)) {
    next = { ...next, status: 'active' };
    at.status = occurredAt;
  }
  return { ...next, at };
}

/** An update of an agent the gateway has not heard of yet is undefined: the hire will bring it. */
export function applyUpdated(
  profile: AgentProfile | undefined,
  data: EventData<'AgentUpdated'>,
  occurredAt: string,
): AgentProfile | undefined {
  if (profile === undefined) return undefined;
  const { changes } = data;
  const at = { ...profile.at };
  let next: AgentProfile = profile;
  if (changes.department !== undefined && newer(occurredAt, at.department)) {
    next = { ...next, department: changes.department };
    at.department = occurredAt;
  }
  if (changes.managerId !== undefined && newer(occurredAt, at.managerId)) {
    next = { ...next, managerId: changes.managerId };
    at.managerId = occurredAt;
  }
  if (changes.monthlyBudgetUsd !== undefined && newer(occurredAt, at.budget)) {
    next = withBudget(next, changes.monthlyBudgetUsd ?? undefined);
    at.budget = occurredAt;
  }
  return { ...next, at };
}

export function applyRetired(
  profile: AgentProfile | undefined,
  agentId: string,
  occurredAt: string,
): AgentProfile {
  const base: AgentProfile = profile ?? {
    agentId,
    department: 'unknown',
    managerId: 'ceo',
    status: 'retired',
    at: { department: '', managerId: '', budget: '', status: '' },
    version: 0,
  };
  if (!newer(occurredAt, base.at.status)) return base;
  return { ...base, status: 'retired', at: { ...base.at, status: occurredAt } };
}

function withBudget(profile: AgentProfile, budget: number | undefined): AgentProfile {
  const { monthlyBudgetUsd: _dropped, ...rest } = profile;
  return budget === undefined ? rest : { ...rest, monthlyBudgetUsd: budget };
}

/** Whether two profiles say the same (apart from version): an event that changed nothing needs no write. */
export function sameProfile(a: AgentProfile, b: AgentProfile): boolean {
  return JSON.stringify({ ...a, version: 0 }) === JSON.stringify({ ...b, version: 0 });
}
