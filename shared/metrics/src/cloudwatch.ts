import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE } from './catalogue.ts';
import type { MetricsSink } from './sink.ts';

/** PutMetricData takes up to 1,000 datums per call; a few hundred keeps each request small. */
const PER_CALL = 500;

/**
 * Fleet metrics to CloudWatch, in the catalogue's namespace. A subpath of its own, so that a
 * package reading only the catalogue (infra's dashboard) does not load the SDK client.
 */
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
