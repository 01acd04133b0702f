import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { defaultLocalAgentsDir } from '@ocf/agent-tasks';
import type { Config, ServiceContext, ServiceDefinition } from '@ocf/service';
import { createCloudWatchMetrics } from './adapters/cloudwatch-metrics.ts';
import { createDynamoHealthStore } from './adapters/dynamo-health-store.ts';
import { createEcsTaskEvents } from './adapters/ecs-task-events.ts';
import { createEcsTaskObserver } from './adapters/ecs-task-observer.ts';
import { createLocalTaskObserver } from './adapters/local-task-observer.ts';
import { buildApp } from './app.ts';
import { settings } from './config.ts';
import { createHandlers } from './handlers/index.ts';
import { createMonitor, type Monitor } from './monitor.ts';
import type { TaskObserver } from './ports.ts';

type HealthConfig = Config<typeof settings>;

/**
 * The health service as startService runs it: its table, a task observer (ECS or local
 * processes), CloudWatch for metrics, the monitor loop, the handlers that feed it, and, when a
 * queue is configured, ECS's task state changes as a trigger. Background loops start when the
 * HTTP side is ready and stop when it closes, after the consumer stopped.
 */
export function healthService(): ServiceDefinition<typeof settings> {
  let parts: { monitor: Monitor; observer: TaskObserver } | undefined;

  const assemble = (context: ServiceContext<HealthConfig>) => {
    if (parts !== undefined) return parts;
    const { config, logger, routing, publisher, aws } = context;
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
    parts = { monitor, observer };
    logger.info('health assembled', { observer: observer.kind, stateTable: routing.tables.health.name });
    return parts;
  };

  return {
    name: 'health',
    settings,
    createHandlers: (context) => createHandlers(assemble(context).monitor),
    buildApp: (context, readiness) => {
      const { monitor, observer } = assemble(context);
      const { config, logger, aws, routing } = context;
      const background: { start(): void; stop(): Promise<void> }[] = [monitor];
      if (config.HEALTH_ECS_EVENTS_QUEUE_URL !== undefined) {
        background.push(
          createEcsTaskEvents({
            sqs: aws.sqs,
            queueUrl: config.HEALTH_ECS_EVENTS_QUEUE_URL,
            logger: logger.with({ component: 'ecs-events' }),
            onTaskChanged: (change) => {
              const agentId = monitor.agentOfTask(change.detail.taskArn);
              if (agentId !== undefined) monitor.trigger(agentId);
            },
          }),
        );
      }
      return buildApp({
        logger,
        background,
        readiness: {
          ...readiness,
          stateTable: async () => {
            await aws.dynamodb.send(new DescribeTableCommand({ TableName: routing.tables.health.name }));
          },
          observer: () => observer.check(),
        },
      });
    },
  };
}
