import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE, type MetricDatum } from '@ocf/metrics';
import type { MetricsSink } from '../ports.ts';

/** PutMetricData takes up to 1,000 datums per call; a few hundred keeps each request small. */
const PER_CALL = 500;

/** Fleet metrics to CloudWatch, in the catalogue's namespace (shared/metrics). */
export function createCloudWatchMetrics(client: Pick<CloudWatchClient, 'send'>): MetricsSink {
  return {
    async put(datums) {
      for (let i = 0; i < datums.length; i += PER_CALL) {
        const batch = datums.slice(i, i + PER_CALL);
        await client.send(
          new PutMetricDataCommand({
            Namespace: METRICS_NAMESPACE,
            MetricData: batch.map((d) => ({ ...d, Dimensions: [...d.Dimensions] })),
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
