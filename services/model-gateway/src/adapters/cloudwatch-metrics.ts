import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE, type MetricDatum } from '@ocf/metrics';
import type { MetricsSink } from '../ports.ts';

const PER_CALL = 500;

/** Model metrics to CloudWatch, in the catalogue's namespace (shared/metrics). */
export function createCloudWatchMetrics(client: Pick<CloudWatchClient, 'send'>): MetricsSink {
  return {
    async put(datums) {
      for (let i = 0; i < datums.length; i += PER_CALL) {
        await client.send(
          new PutMetricDataCommand({
            Namespace: METRICS_NAMESPACE,
            MetricData: datums.slice(i, i + PER_CALL).map((d) => ({ ...d, Dimensions: [...d.Dimensions] })),
          }),
        );
      }
    },
  };
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
