import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { defaultLocalAgentsDir } from '@ocf/agent-tasks';
import type { ServiceDefinition } from '@ocf/service';
import { createCloudWatchMetrics } from '@ocf/metrics/cloudwatch';
import { createDynamoHealthStore } from './adapters/dynamo-health-store.ts';
import { createEcsTaskEvents } from './adapters/ecs-task-events.ts';
import { createEcsTaskObserver } from './adapters/ecs-task-observer.ts';
import { createLocalTaskObserver } from './adapters/local-task-observer.ts';
import { buildApp } from './app.ts';
import { settings } from './config.ts';
import { createHandlers } from './handlers/index.ts';
import { createMonitor } from './monitor.ts';

/**
 * The health service as startService runs it: its table, a task observer (ECS or local
 * processes), CloudWatch for metrics, the monitor loop, the handlers that feed it, and, when a
 * queue is configured, ECS's task state changes as a trigger. The runner starts the monitor and
 * the ECS events before the HTTP side listens, and stops them after the consumer stopped.
 */
export function healthService(): ServiceDefinition<typeof settings> {
  return {
    name: 'health',
    settings,
    compose: ({ config, logger, routing, publisher, aws }) => {
      const environment = config.OCF_ENV;
      const observer =
        config.AGENT_RUNNER === 'ecs'
          ? createEcsTaskObserver({
              ecs: new ECSClient({}),
              cluster: config.AGENT_CLUSTER ?? `ocf-${environment}-agents`,
            })
          : createLocalTaskObserver({
              root: config.LOCAL_AGENTS_DIR ?? defaultLocalAgentsDir(environment),
              probeTimeoutMs: config.HEALTH_PROBE_TIMEOUT_MS,
            });
      const monitor = createMonitor({
        store: createDynamoHealthStore(aws.dynamodb, routing.tables.health.name),
        observer,
        publisher,
        metrics: createCloudWatchMetrics(new CloudWatchClient({})),
        logger: logger.with({ component: 'monitor' }),
        environment,
        pollIntervalMs: config.HEALTH_POLL_MS,
        ...(config.HEALTH_SWEEP_MS === undefined ? {} : { sweepIntervalMs: config.HEALTH_SWEEP_MS }),
        sweepPageSize: config.HEALTH_SWEEP_PAGE_SIZE,
        resyncIntervalMs: config.HEALTH_RESYNC_MS,
        resyncPageSize: config.HEALTH_RESYNC_PAGE_SIZE,
        metricsIntervalMs: config.HEALTH_METRICS_MS,
        policy: {
          failureWindowMs: config.HEALTH_FAILURE_WINDOW_MS,
          maxFailures: config.HEALTH_MAX_FAILURES,
          backoffBaseMs: config.HEALTH_BACKOFF_BASE_MS,
          backoffMaxMs: config.HEALTH_BACKOFF_MAX_MS,
          unhealthyGraceMs: config.HEALTH_UNHEALTHY_GRACE_MS,
          launchTimeoutMs: config.HEALTH_LAUNCH_TIMEOUT_MS,
        },
      });
      logger.info('health assembled', { observer: observer.kind, stateTable: routing.tables.health.name });
      const ecsEvents =
        config.HEALTH_ECS_EVENTS_QUEUE_URL === undefined
          ? undefined
          : createEcsTaskEvents({
              sqs: aws.sqs,
              queueUrl: config.HEALTH_ECS_EVENTS_QUEUE_URL,
              logger: logger.with({ component: 'ecs-events' }),
              onTaskChanged: (change) => {
                const agentId = monitor.agentOfTask(change.detail.taskArn);
                if (agentId !== undefined) monitor.trigger(agentId);
              },
            });
      return {
        handlers: createHandlers(monitor),
        app: (readiness) =>
          buildApp({
            logger,
            readiness: {
              ...readiness,
              stateTable: async () => {
                await aws.dynamodb.send(new DescribeTableCommand({ TableName: routing.tables.health.name }));
              },
              observer: () => observer.check(),
            },
          }),
        background: { monitor, ...(ecsEvents === undefined ? {} : { ecsEvents }) },
      };
    },
  };
}
