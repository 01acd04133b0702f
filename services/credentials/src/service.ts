import { randomBytes } from 'node:crypto';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ServiceDefinition } from '@ocf/service';
import { agentSecretNamePrefix, modelKeyKeyName } from '@ocf/secrets';
import { createSecretsManagerTokenKey } from './adapters/agent-token-key.ts';
import { createSecretsManagerStore } from './adapters/secrets-manager.ts';
import { buildApp } from './app.ts';
import { settings } from './config.ts';
import { createHandlers } from './handlers/index.ts';

/**
 * The credentials service as startService runs it: Secrets Manager behind the SecretStore port,
 * the handlers, and the HTTP side (ready only when Secrets Manager answers). The SDK reads region,
 * credentials and AWS_ENDPOINT_URL from the environment, as every other client does.
 */
export function credentialsService(
  secretsManager = new SecretsManagerClient({}),
): ServiceDefinition<typeof settings> {
  return {
    name: 'credentials',
    settings,
    compose: ({ config, logger }) => ({
      handlers: createHandlers({
        store: createSecretsManagerStore(secretsManager),
        agentTokenKey: createSecretsManagerTokenKey(secretsManager, {
          environment: config.OCF_ENV,
          kmsKeyId: config.CREDENTIALS_KMS_KEY_ID,
          randomBytes,
        }),
        modelKeyKey: createSecretsManagerTokenKey(secretsManager, {
          environment: config.OCF_ENV,
          kmsKeyId: config.CREDENTIALS_KMS_KEY_ID,
          randomBytes,
          name: modelKeyKeyName(config.OCF_ENV),
          description:
            "Key of fleet agents' model-gateway keys. Read by the model gateway and the credentials service; replacing it invalidates every agent's model key until its next rotation.",
        }),
        environment: config.OCF_ENV,
        kmsKeyId: config.CREDENTIALS_KMS_KEY_ID,
        recoveryWindowDays: config.CREDENTIALS_RECOVERY_WINDOW_DAYS,
        now: () => new Date(),
        randomBytes,
      }),
      app: (readiness) =>
        buildApp({
          logger,
          readiness: {
            ...readiness,
            secretsManager: async () => {
              await secretsManager.send(
                new ListSecretsCommand({
                  MaxResults: 1,
                  Filters: [{ Key: 'name', Values: [agentSecretNamePrefix(config.OCF_ENV)] }],
                }),
              );
            },
          },
        }),
    }),
  };
}
