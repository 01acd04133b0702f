import { FLEET_METRICS, metricDatum, type CascadeStep, type MetricDatum } from '@ocf/metrics';

/**
 * The fleet metrics health derives from what it sees (ADR 0011): cascade latencies, reported
 * once per hire and per retirement (the record remembers which), and counts of hires,
 * retirements, restarts and crash loops.
 */

export type Cascade = 'hire' | 'retire';

/** A step of a cascade, or `*` for the whole cascade (its last step). */
export type LatencyStep = CascadeStep | '*';

/** One more hire, retirement, restart or crash loop. */
export function countDatum(
  metric: 'Hires' | 'Retirements' | 'Restarts' | 'CrashLoops' | 'Wakes',
  environment: string,
  at: Date,
): MetricDatum {
  return metricDatum(FLEET_METRICS[metric], { Environment: environment }, 1, at);
}

/** How long a cascade took to reach one of its steps (or its end, for `*`). */
export function latencyDatum(
  environment: string,
  cascade: Cascade,
  step: LatencyStep,
  ms: number,
  at: Date,
): MetricDatum {
  return step === '*'
    ? metricDatum(FLEET_METRICS.CascadeLatency, { Environment: environment, Cascade: cascade }, ms, at)
    : metricDatum(
        FLEET_METRICS.CascadeStepLatency,
        { Environment: environment, Cascade: cascade, Step: step },
        ms,
        at,
      );
}

/**
 * Reports the latency of `step` since the cascade's start (`from`) at most once: the record
 * remembers it. An event older than the start reports nothing.
 */
export function reportLatency<R extends { readonly latencyReported: readonly string[] }>(
  record: R,
  metrics: MetricDatum[],
  environment: string,
  cascade: Cascade,
  step: LatencyStep,
  from: { readonly at: string } | undefined,
  at: string,
): R {
  const key = `${cascade}:${step}`;
  if (from === undefined || record.latencyReported.includes(key) || at < from.at) return record;
  metrics.push(latencyDatum(environment, cascade, step, Date.parse(at) - Date.parse(from.at), new Date(at)));
  return { ...record, latencyReported: [...record.latencyReported, key] };
}

/** How long a wake took, from the message the fleet saw to the task running and healthy. */
export function wakeLatencyDatum(environment: string, ms: number, at: Date): MetricDatum {
  return metricDatum(FLEET_METRICS.WakeLatency, { Environment: environment }, Math.max(0, ms), at);
}
