import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import { defaultLocalAgentsDir } from '@ocf/agent-tasks';
import type { Config, ServiceDefinition } from '@ocf/service';
import { createDynamoAgentStateStore } from './adapters/dynamo-agent-state.ts';
import { createEcsTaskRunner } from './adapters/ecs-task-runner.ts';
import { createEfsAgentStorage } from './adapters/efs-agent-storage.ts';
import { createLocalProcessRunner } from './adapters/local-process-runner.ts';
import { createSecretsManagerAgentSecretCheck } from './adapters/secrets-manager-describe.ts';
import { buildApp } from './app.ts';
import { checkSettings, settings, STAND_IN_AGENT } from './config.ts';
import { createHandlers } from './handlers/index.ts';
import { createLaunchLimiter } from './launch-limiter.ts';
import type { TaskRunner } from './ports.ts';
import { createReconciler } from './reconciler.ts';

type ProvisioningConfig = Config<typeof settings>;

/**
 * The provisioning service as startService runs it: its state table, a task runner (ECS or
 * local processes), the reconcile loop, the handlers that feed it, and the HTTP side. The runner
 * starts the loop before the HTTP side listens, and stops it after the consumer stopped.
 */
export function provisioningService(): ServiceDefinition<typeof settings> {
  return {
    name: 'provisioning',
    settings,
    checkSettings,
    compose: ({ config, logger, routing, publisher, aws }) => {
      const runner = createRunner(config);
      const store = createDynamoAgentStateStore(aws.dynamodb, routing.tables.provisioning.name);
      const reconciler = createReconciler({
        store,
        runner,
        publisher,
        logger: logger.with({ component: 'reconciler' }),
        limiter: createLaunchLimiter({
          bucket: {
            capacity: config.PROVISIONING_LAUNCH_BURST,
            refillPerSecond: config.PROVISIONING_LAUNCH_RATE,
          },
        }),
        resyncIntervalMs: config.PROVISIONING_RESYNC_MS,
        resyncPageSize: config.PROVISIONING_RESYNC_PAGE_SIZE,
        launchConcurrency: config.PROVISIONING_LAUNCH_CONCURRENCY,
      });
      logger.info('provisioning assembled', {
        runner: runner.kind,
        stateTable: routing.tables.provisioning.name,
      });
      return {
        handlers: createHandlers({
          store,
          secrets: createSecretsManagerAgentSecretCheck(config.OCF_ENV),
          reconcile: (reason, agentId) => {
            reconciler.trigger(reason, agentId);
          },
          reannounce: (agentId) => reconciler.reannounce(agentId),
        }),
        app: (readiness) =>
          buildApp({
            logger,
            reconciler,
            readiness: {
              ...readiness,
              stateTable: async () => {
                await aws.dynamodb.send(
                  new DescribeTableCommand({ TableName: routing.tables.provisioning.name }),
                );
              },
              runner: () => runner.check(),
            },
          }),
        background: { reconciler },
      };
    },
  };
}

function createRunner(config: ProvisioningConfig): TaskRunner {
  const environment = config.OCF_ENV;
  if (config.AGENT_RUNNER === 'local') {
    const agentEnvironment: Record<string, string> = {};
    for (const name of config.LOCAL_AGENT_PASS_ENV) {
      const value = process.env[name];
      if (value !== undefined) agentEnvironment[name] = value;
    }
    if (config.AWS_ENDPOINT_URL !== undefined) {
      // The emulator takes any credentials; the agent must never get this process's own.
      Object.assign(agentEnvironment, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    }
    Object.assign(agentEnvironment, config.LOCAL_AGENT_ENV, fleetAgentSettings(config));
    return createLocalProcessRunner({
      root: config.LOCAL_AGENTS_DIR ?? defaultLocalAgentsDir(environment),
      environment,
      command: config.LOCAL_AGENT_COMMAND ?? [process.execPath, STAND_IN_AGENT],
      agentEnvironment,
      stopGraceMs: config.LOCAL_AGENT_STOP_GRACE_MS,
    });
  }
  // checkSettings made sure the ECS settings are there.
  return createEcsTaskRunner({
    ecs: new ECSClient({}),
    storage: createEfsAgentStorage({
      efs: new EFSClient({}),
      environment,
      fileSystemId: config.AGENT_FILE_SYSTEM_ID ?? '',
    }),
    environment,
    cluster: config.AGENT_CLUSTER ?? `ocf-${environment}-agents`,
    baseTaskDefinition: config.AGENT_TASK_DEFINITION ?? `ocf-${environment}-agent`,
    containerName: config.AGENT_CONTAINER_NAME,
    mountPath: config.AGENT_DATA_MOUNT_PATH,
    subnets: config.AGENT_SUBNETS ?? [],
    securityGroups: config.AGENT_SECURITY_GROUPS ?? [],
    agentEnvironment: fleetAgentSettings(config),
  });
}

/**
 * What every agent must share with this fleet's bridge, whichever runner starts it: the Matrix
 * namespace, or the agent would look for `@agent-<id>` while the bridge made `@agent-<ns>_<id>`;
 * and the people who may message it directly (the CEO, from the console).
 * Last, so a LOCAL_AGENT_ENV cannot set an agent apart from its fleet.
 */
export function fleetAgentSettings(
  config: Pick<ProvisioningConfig, 'MATRIX_NAMESPACE' | 'AGENT_MODEL_GATEWAY_URL' | 'AGENT_ORG_HUMANS'>,
): Record<string, string> {
  return {
    ...(config.AGENT_ORG_HUMANS === undefined ? {} : { MATRIX_ORG_HUMANS: config.AGENT_ORG_HUMANS }),
    ...(config.MATRIX_NAMESPACE === undefined ? {} : { MATRIX_NAMESPACE: config.MATRIX_NAMESPACE }),
    ...(config.AGENT_MODEL_GATEWAY_URL === undefined
      ? {}
      : { MODEL_GATEWAY_URL: config.AGENT_MODEL_GATEWAY_URL }),
  };
}
