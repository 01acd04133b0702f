import type { AnyFleetEvent } from '@ocf/events';
import type { ModelSpend } from './agent.ts';

/**
 * Folds the model gateway's reports into an agent's spend (ADR 0017). Reports carry month totals,
 * so the newest report of the newest month wins and repeats or late arrivals change nothing.
 * Returns the same object when the event changes nothing (or is not about spend).
 */
export function applySpendEvent(spend: ModelSpend | undefined, event: AnyFleetEvent): ModelSpend | undefined {
  switch (event.type) {
    case 'ModelUsageReported': {
      const { month, costUsd, calls, tokensIn, tokensOut, asOf } = event.data;
      if (spend !== undefined && (spend.month > month || (spend.month === month && spend.asOf >= asOf)))
        return spend;
      const keep =
        spend?.exhausted !== undefined && spend.exhausted.month === month
          ? { exhausted: spend.exhausted }
          : {};
      return { month, costUsd, calls, tokensIn, tokensOut, asOf, ...keep };
    }
    case 'AgentBudgetExhausted': {
      const { month, scope, budgetUsd, spentUsd } = event.data;
      if (spend !== undefined && spend.month > month) return spend;
      const base: ModelSpend =
        spend !== undefined && spend.month === month
          ? spend
          : {
              month,
              costUsd: scope === 'agent' ? spentUsd : 0,
              calls: 0,
              tokensIn: 0,
              tokensOut: 0,
              asOf: event.metadata.occurredAt,
            };
      return { ...base, exhausted: { scope, budgetUsd, month } };
    }
    default:
      return spend;
  }
}

export type BudgetState = 'none' | 'ok' | 'near-limit' | 'spent';

/**
 * Where the agent stands this month: `spent` once its own budget is used up (read from the
 * numbers, so a raised budget shows `ok` at once) or the gateway said its department's or the
 * fleet's is; `near-limit` from `softPercent`.
 */
export function budgetState(
  spend: ModelSpend | undefined,
  monthlyBudgetUsd: number | undefined,
  month: string,
  softPercent = 80,
): { state: BudgetState; spentScope?: 'agent' | 'department' | 'fleet' } {
  const costUsd = spend !== undefined && spend.month === month ? spend.costUsd : 0;
  const outside = spend?.exhausted;
  if (outside !== undefined && outside.month === month && outside.scope !== 'agent') {
    return { state: 'spent', spentScope: outside.scope };
  }
  if (monthlyBudgetUsd === undefined) return { state: 'none' };
  if (costUsd >= monthlyBudgetUsd) return { state: 'spent', spentScope: 'agent' };
  if (costUsd >= (monthlyBudgetUsd * softPercent) / 100) return { state: 'near-limit' };
  return { state: 'ok' };
}
