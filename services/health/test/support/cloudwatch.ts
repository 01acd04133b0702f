import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE } from '@ocf/metrics';

/**
 * Reads a fleet metric back from CloudWatch the way a dashboard would: the sum and maximum of
 * one series over the last `minutes`. Tests use it to see what health published.
 */
export async function readMetric(
  metricName: string,
  dimensions: Record<string, string>,
  minutes = 10,
): Promise<{ sum: number; maximum: number; samples: number }> {
  const client = new CloudWatchClient({});
  try {
    const end = new Date(Date.now() + 60_000);
    const { Datapoints = [] } = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: METRICS_NAMESPACE,
        MetricName: metricName,
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
        StartTime: new Date(end.getTime() - minutes * 60_000 - 60_000),
        EndTime: end,
        Period: 60 * (minutes + 2),
        Statistics: ['Sum', 'Maximum', 'SampleCount'],
      }),
    );
    return Datapoints.reduce(
      (total, point) => ({
        sum: total.sum + (point.Sum ?? 0),
        maximum: Math.max(total.maximum, point.Maximum ?? 0),
        samples: total.samples + (point.SampleCount ?? 0),
      }),
      { sum: 0, maximum: 0, samples: 0 },
    );
  } finally {
    client.destroy();
  }
}
