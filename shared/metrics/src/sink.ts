import type { MetricDatum } from './datum.ts';

/** Where a service's fleet metrics go: CloudWatch (`@ocf/metrics/cloudwatch`), or an array in tests. */
export interface MetricsSink {
  put(datums: readonly MetricDatum[]): Promise<void>;
}

/** Metrics kept in an array: for unit tests. */
export function createMemoryMetrics(): MetricsSink & { readonly datums: MetricDatum[] } {
  const datums: MetricDatum[] = [];
  return {
    datums,
    put(batch) {
      datums.push(...batch);
      return Promise.resolve();
    },
  };
}
