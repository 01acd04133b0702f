import { createTriggerLoop } from '@ocf/runtime';
import type { ServiceDefinition } from '@ocf/service';
import { createDynamoAgentStore } from './adapters/dynamo-agent-store.ts';
import { buildApp } from './app.ts';
import { createDynamoTokenStore } from './auth.ts';
import { settings } from './config.ts';
import { createDirectory } from './directory.ts';
import { createHandlers } from './handlers/index.ts';

/**
 * The directory as startService runs it: its agents and API-token tables behind their ports, one
 * directory (the use cases) shared by the consumer and the REST API, and the outbox sweeper.
 */
export function directoryService(): ServiceDefinition<typeof settings> {
  return {
    name: 'directory',
    settings,
    compose: ({ config, aws, routing, publisher, logger }) => {
      const store = createDynamoAgentStore(aws.dynamodb, routing.tables.agents.name);
      const tokens = createDynamoTokenStore(aws.dynamodb, routing.tables.apiTokens.name);
      const directory = createDirectory({ store, publisher, logger });
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
      return {
        handlers: createHandlers(directory),
        app: (readiness) => buildApp({ logger, readiness, directory, store, tokens }),
        background: { outboxSweeper },
      };
    },
  };
}
