import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { consoleAssetsDir } from '@ocf/console';
import { createNaming } from '@ocf/naming';
import { createTriggerLoop } from '@ocf/runtime';
import { agentTokenKeyName } from '@ocf/secrets';
import type { ServiceDefinition } from '@ocf/service';
import { createSecretsManagerKeySource } from './adapters/agent-token-key.ts';
import { createDynamoAgentStore } from './adapters/dynamo-agent-store.ts';
import { createSqsStepBacklog } from './adapters/step-backlog.ts';
import { buildApp } from './app.ts';
import { createAgentChangeFeed } from './change-feed.ts';
import { createDynamoTokenStore } from './auth.ts';
import { settings } from './config.ts';
import { createDirectory } from './directory.ts';
import { createHandlers } from './handlers/index.ts';

/**
 * The directory as startService runs it: its agents and API-token tables behind their ports, the
 * key that checks agents' own tokens, one
 * directory (the use cases) shared by the consumer and the REST API, the outbox sweeper and the
 * cascade resync.
 */
export function directoryService(): ServiceDefinition<typeof settings> {
  return {
    name: 'directory',
    settings,
    compose: ({ config, aws, routing, publisher, logger }) => {
      const store = createDynamoAgentStore(aws.dynamodb, routing.tables.agents.name);
      const tokens = createDynamoTokenStore(aws.dynamodb, routing.tables.apiTokens.name);
      // Agents' own read-only tokens are checked against a key credentials keeps (ADR 0016).
      const agentTokens = {
        environment: routing.environment,
        key: createSecretsManagerKeySource(
          new SecretsManagerClient({}),
          agentTokenKeyName(routing.environment),
        ),
      };
      const directory = createDirectory({
        store,
        publisher,
        logger,
        importConcurrency: config.DIRECTORY_IMPORT_CONCURRENCY,
        stepBacklog: createSqsStepBacklog(aws.sqs, routing),
      });
      // Publishes what a crash or an unreachable bus left owed; cheap when nothing is.
      const outboxSweeper = createTriggerLoop({
        pass: async () => {
          await directory.sweepOutbox();
        },
        idleMs: () => config.DIRECTORY_OUTBOX_SWEEP_MS,
        passAtStart: false,
        onError: (error) => {
          logger.warn('outbox sweep failed', { error });
          return undefined;
        },
      });
      // The cascade resync (ADR 0024): a hire or retirement stuck at a step, perhaps because an
      // event on the way was lost, has its request announced again; cheap when none is stuck.
      const cascadeResync = createTriggerLoop({
        pass: async () => {
          await directory.resyncStalled({
            stalledMs: config.DIRECTORY_RESYNC_STALLED_MS,
            maxWaitMs: config.DIRECTORY_RESYNC_MAX_WAIT_MS,
          });
        },
        idleMs: () => config.DIRECTORY_RESYNC_INTERVAL_MS,
        passAtStart: false,
        onError: (error) => {
          logger.warn('cascade resync failed', { error });
          return undefined;
        },
      });
      const changes = createAgentChangeFeed({
        store,
        logger: logger.with({ component: 'change-feed' }),
        pollMs: config.DIRECTORY_WATCH_POLL_MS,
        settleMs: config.DIRECTORY_WATCH_SETTLE_MS,
      });
      return {
        handlers: createHandlers(directory),
        app: (readiness) =>
          buildApp({
            logger,
            readiness,
            directory,
            store,
            tokens,
            agentTokens,
            changes,
            console: {
              assetsDir: config.CONSOLE_ASSETS_DIR ?? consoleAssetsDir,
              homeserverUrl: config.CONSOLE_HOMESERVER_URL,
            },
            ...(config.MATRIX_SERVER_NAME === undefined
              ? {}
              : {
                  naming: createNaming({
                    serverName: config.MATRIX_SERVER_NAME,
                    namespace: config.MATRIX_NAMESPACE,
                  }),
                }),
          }),
        background: { outboxSweeper, cascadeResync, changeFeed: changes.loop },
      };
    },
  };
}
