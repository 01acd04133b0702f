import {
  GetSecretValueCommand,
  InvalidRequestException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describeAwsError, isRetryableAwsError } from '@ocf/errors';
import { agentSecretName, AgentSecretError, parseAgentSecretValue } from '@ocf/secrets';
import { AgentSecretReadError, type AgentSecrets } from '../ports.ts';

/**
 * Agents' secrets, read from Secrets Manager by their contract name (`ocf/<env>/agents/<id>`,
 * shared/secrets). Only the AWSCURRENT version is ever read: it is the one the account must have.
 */
export function createSecretsManagerAgentSecrets(
  client: SecretsManagerClient,
  environment: string,
): AgentSecrets {
  return {
    async current(agentId) {
      const name = agentSecretName(environment, agentId);
      let answer;
      try {
        answer = await client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' }));
      } catch (error) {
        throw toReadError(name, error);
      }
      if (answer.VersionId === undefined || answer.SecretString === undefined) {
        throw new AgentSecretReadError(`${name} answered without a current version`, { retryable: true });
      }
      try {
        const value = parseAgentSecretValue(answer.SecretString);
        return { versionId: answer.VersionId, password: value.matrix.password };
      } catch (error) {
        // AgentSecretError messages name fields, never values.
        const detail = error instanceof AgentSecretError ? error.message : 'unreadable value';
        throw new AgentSecretReadError(`${name}: ${detail}`, { retryable: false, cause: error });
      }
    },
  };
}

/**
 * Missing, or scheduled for deletion: the credentials service may be about to (re)issue it, so
 * both are worth another look later. So are throttling, 5xx and no answer at all. Anything else
 * (access denied, a KMS key we may not use) will not pass by waiting.
 */
function toReadError(name: string, error: unknown): AgentSecretReadError {
  const detail = describeAwsError(error);
  if (error instanceof ResourceNotFoundException || error instanceof InvalidRequestException) {
    return new AgentSecretReadError(`${name} cannot be read yet (${detail})`, {
      retryable: true,
      cause: error,
    });
  }
  return new AgentSecretReadError(`reading ${name} failed: ${detail}`, {
    retryable: isRetryableAwsError(error),
    cause: error,
  });
}
