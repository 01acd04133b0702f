import type { Logger } from '@ocf/logging';
import { FLEET_METRICS, metricDatum, type CallOutcome, type MetricDatum } from '@ocf/metrics';
import { createTriggerLoop, type EventPublisher } from '@ocf/runtime';
import { microToUsd } from './domain/prices.ts';
import type { Metered } from './gateway.ts';
import type { MetricsSink } from './ports.ts';

export interface UsageReporterDeps {
  readonly publisher: EventPublisher;
  readonly metrics: MetricsSink;
  readonly environment: string;
  readonly logger: Logger;
  /** How often usage goes out: one event per agent that made calls, one batch of metrics. */
  readonly intervalMs: number;
  readonly now?: () => Date;
}

/**
 * Usage reaches the bus coalesced: calls only mark their agent; once an interval, each marked
 * agent gets one ModelUsageReported with its month totals (totals, not deltas: a lost or repeated
 * report costs nothing), and CloudWatch gets the interval's tokens, cost and outcomes, for the
 * fleet and per department. What is pending when the service stops goes out before it exits.
 */
export function createUsageReporter(deps: UsageReporterDeps) {
  const now = deps.now ?? (() => new Date());
  /** The latest metered call per agent: its totals are what the report says. */
  let latest = new Map<string, Metered>();
  let tokens = { input: 0, output: 0, cost: 0 };
  let byDepartment = new Map<string, { input: number; output: number; cost: number }>();
  let outcomes = new Map<CallOutcome, number>();

  async function flush(): Promise<void> {
    const reports = latest;
    const interval = { tokens, byDepartment, outcomes };
    latest = new Map();
    tokens = { input: 0, output: 0, cost: 0 };
    byDepartment = new Map();
    outcomes = new Map();
    const asOf = now().toISOString();
    for (const metered of reports.values()) {
      const { agent } = metered.totals;
      try {
        await deps.publisher.emit('ModelUsageReported', {
          agentId: metered.agentId,
          department: metered.department,
          month: metered.month,
          calls: agent.calls,
          tokensIn: agent.tokensIn,
          tokensOut: agent.tokensOut,
          costUsd: microToUsd(agent.costMicro),
          ...(metered.monthlyBudgetUsd === undefined ? {} : { monthlyBudgetUsd: metered.monthlyBudgetUsd }),
          asOf,
        });
      } catch (error) {
        // The next call of this agent marks it again; totals make the next report complete.
        if (!latest.has(metered.agentId)) latest.set(metered.agentId, metered);
        deps.logger.warn('could not report usage; it goes out with the next report', {
          agentId: metered.agentId,
          error,
        });
      }
    }
    const datums = metricsOf(deps.environment, interval);
    if (datums.length > 0) {
      try {
        await deps.metrics.put(datums);
      } catch (error) {
        deps.logger.warn('could not put model metrics; this interval is lost from the dashboard', { error });
      }
    }
  }

  const loop = createTriggerLoop({
    pass: flush,
    idleMs: () => deps.intervalMs,
    passAtStart: false,
    onError: (error) => {
      deps.logger.error('usage report failed', { error });
      return deps.intervalMs;
    },
  });

  return {
    metered(metered: Metered): void {
      latest.set(metered.agentId, metered);
      tokens.input += metered.tokens.tokensIn;
      tokens.output += metered.tokens.tokensOut;
      tokens.cost += metered.costMicro;
      const department = byDepartment.get(metered.department) ?? { input: 0, output: 0, cost: 0 };
      department.input += metered.tokens.tokensIn;
      department.output += metered.tokens.tokensOut;
      department.cost += metered.costMicro;
      byDepartment.set(metered.department, department);
    },
    outcome(outcome: CallOutcome): void {
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    },
    /** Reports now (tests, and the last report before the service stops). */
    flush: () => loop.exclusive(flush),
    start: () => {
      loop.start();
    },
    async stop(): Promise<void> {
      await loop.stop();
      await flush();
    },
  };
}

export type UsageReporter = ReturnType<typeof createUsageReporter>;

function metricsOf(
  environment: string,
  interval: {
    tokens: { input: number; output: number; cost: number };
    byDepartment: Map<string, { input: number; output: number; cost: number }>;
    outcomes: Map<CallOutcome, number>;
  },
): MetricDatum[] {
  const datums: MetricDatum[] = [];
  for (const [outcome, count] of interval.outcomes) {
    datums.push(metricDatum(FLEET_METRICS.ModelCalls, { Environment: environment, Outcome: outcome }, count));
  }
  if (interval.byDepartment.size === 0) return datums;
  const { tokens } = interval;
  datums.push(
    metricDatum(FLEET_METRICS.ModelTokens, { Environment: environment, Direction: 'input' }, tokens.input),
    metricDatum(FLEET_METRICS.ModelTokens, { Environment: environment, Direction: 'output' }, tokens.output),
    metricDatum(FLEET_METRICS.ModelCost, { Environment: environment }, microToUsd(tokens.cost)),
  );
  for (const [department, used] of interval.byDepartment) {
    const d = { Environment: environment, Department: department };
    datums.push(
      metricDatum(FLEET_METRICS.ModelTokensByDepartment, { ...d, Direction: 'input' }, used.input),
      metricDatum(FLEET_METRICS.ModelTokensByDepartment, { ...d, Direction: 'output' }, used.output),
      metricDatum(FLEET_METRICS.ModelCostByDepartment, d, microToUsd(used.cost)),
    );
  }
  return datums;
}
