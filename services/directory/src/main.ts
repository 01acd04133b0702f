// Composition root of the directory service: real adapters in, app and consumer out.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { agentTokenKeyName } from '@ocf/secrets';
import { runService, type ServiceContext } from '@ocf/service';
import { buildApp } from './app.ts';
import { createDynamoTokenStore } from './auth.ts';
import { createSecretsManagerKeySource } from './adapters/agent-token-key.ts';
import { createDynamoAgentStore } from './adapters/dynamo-agent-store.ts';
import { settings } from './config.ts';
import { createDirectory } from './directory.ts';
import { createHandlers } from './handlers/index.ts';

type Context = ServiceContext<{ DIRECTORY_OUTBOX_SWEEP_MS: number }>;

/** One set of adapters shared by the consumer and the HTTP side. */
function compose({ aws, routing, publisher, logger }: Context) {
  const store = createDynamoAgentStore(aws.dynamodb, routing.tables.agents.name);
  const tokens = createDynamoTokenStore(aws.dynamodb, routing.tables.apiTokens.name);
  const agentTokens = {
    environment: routing.environment,
    key: createSecretsManagerKeySource(new SecretsManagerClient({}), agentTokenKeyName(routing.environment)),
  };
  return { store, tokens, agentTokens, directory: createDirectory({ store, publisher, logger }) };
}
let composed: ReturnType<typeof compose> | undefined;
const parts = (context: Context) => (composed ??= compose(context));

await runService({
  name: 'directory',
  settings,
  createHandlers: (context) => createHandlers(parts(context).directory),
  buildApp: async (context, readiness) => {
    const { store, tokens, agentTokens, directory } = parts(context);
    const app = await buildApp({ logger: context.logger, readiness, directory, store, tokens, agentTokens });
    // Publishes what a crash or an unreachable bus left owed; cheap when nothing is.
    const sweep = setInterval(() => {
      directory.sweepOutbox().catch((error: unknown) => {
        context.logger.warn('outbox sweep failed', { error });
      });
    }, context.config.DIRECTORY_OUTBOX_SWEEP_MS);
    app.addHook('onClose', () => {
      clearInterval(sweep);
    });
    return app;
  },
});
