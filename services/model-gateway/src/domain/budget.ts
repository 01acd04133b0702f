/**
 * Budget arithmetic, all in whole micro-dollars (µUSD) for one calendar month (UTC). Pure: the
 * call path asks `admit` before a call and `dueNotices` after it; the bound on overspend this
 * gives is stated and proved in ADR 0017 and checked by test/domain/budget.test.ts.
 */

export const SCOPES = ['agent', 'department', 'fleet'] as const;
export type Scope = (typeof SCOPES)[number];

/** Spend so far this month, per scope the call counts towards. */
export type Spend = Readonly<Record<Scope, number>>;

/** Monthly limits per scope; a scope without one is not limited. */
export type Limits = Readonly<Partial<Record<Scope, number>>>;

export type Admission =
  | { readonly admitted: true }
  | {
      readonly admitted: false;
      readonly scope: Scope;
      readonly spentMicro: number;
      readonly limitMicro: number;
    };

/**
 * A call may start while every limited scope has spent less than its limit. The first scope that
 * has not (agent before department before fleet: the narrowest says most) is the refusal's reason.
 * A limit of 0 refuses every call: a budget of nothing.
 */
export function admit(spend: Spend, limits: Limits): Admission {
  for (const scope of SCOPES) {
    const limit = limits[scope];
    if (limit !== undefined && spend[scope] >= limit) {
      return { admitted: false, scope, spentMicro: spend[scope], limitMicro: limit };
    }
  }
  return { admitted: true };
}

export interface DueNotice {
  readonly kind: 'threshold' | 'exhausted';
  readonly scope: Scope;
  readonly spentMicro: number;
  readonly limitMicro: number;
}

/**
 * The notices a spend level calls for: the agent's soft threshold (a share of its own budget;
 * its manager is told), and every scope whose limit is spent. Levels, not crossings: the caller
 * publishes each at most once per month and limit (a durable flag), so a lowered budget that is
 * already spent is reported too, and a raised one that is spent again is reported again.
 */
export function dueNotices(spend: Spend, limits: Limits, softPercent: number): DueNotice[] {
  const notices: DueNotice[] = [];
  const agentLimit = limits.agent;
  if (agentLimit !== undefined && agentLimit > 0) {
    const softAt = Math.ceil((agentLimit * softPercent) / 100);
    if (spend.agent >= softAt && spend.agent < agentLimit) {
      notices.push({ kind: 'threshold', scope: 'agent', spentMicro: spend.agent, limitMicro: agentLimit });
    }
  }
  for (const scope of SCOPES) {
    const limit = limits[scope];
    if (limit !== undefined && spend[scope] >= limit) {
      notices.push({ kind: 'exhausted', scope, spentMicro: spend[scope], limitMicro: limit });
    }
  }
  return notices;
}

/**
 * The most a single call can cost, for the overspend bound: its input is at most `maxInputBytes`
 * bytes and no tokenizer makes more tokens than bytes; its output is capped at `maxOutputTokens`
 * (the gateway sets `max_tokens` to at most that on every call).
 */
export function maxCallCostMicro(
  price: { readonly inputPerMillionUsd: number; readonly outputPerMillionUsd: number },
  maxInputBytes: number,
  maxOutputTokens: number,
): number {
  return Math.ceil(maxInputBytes * price.inputPerMillionUsd + maxOutputTokens * price.outputPerMillionUsd);
}

/**
 * Calls in flight per agent, at most `maxPerAgent` at once. With `admit`, this is what bounds
 * overspend: once an agent's spend reaches its limit no call starts, and at most `maxPerAgent`
 * calls were already running, each costing at most one call's worth.
 */
export function createInFlight(maxPerAgent: number) {
  const counts = new Map<string, number>();
  return {
    /** Takes a place for a call, or false if the agent has `maxPerAgent` running already. */
    enter(agentId: string): boolean {
      const now = counts.get(agentId) ?? 0;
      if (now >= maxPerAgent) return false;
      counts.set(agentId, now + 1);
      return true;
    },
    leave(agentId: string): void {
      const now = counts.get(agentId) ?? 0;
      if (now <= 1) counts.delete(agentId);
      else counts.set(agentId, now - 1);
    },
    count: (agentId: string): number => counts.get(agentId) ?? 0,
  };
}

export type InFlight = ReturnType<typeof createInFlight>;
