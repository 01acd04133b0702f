import {
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describeAwsError, isRetryableAwsError } from '@ocf/errors';
import {
  MATRIX_TOKEN_VERSION_STAGE,
  agentSecretName,
  AgentSecretError,
  parseAgentSecretValue,
  serializeAgentSecretValue,
} from '@ocf/secrets';
import { AgentSecretReadError, type AgentSecrets } from '../ports.ts';

/** The bridge's own staging label on the versions it writes (see @ocf/secrets). */
export const BRIDGE_VERSION_STAGE = MATRIX_TOKEN_VERSION_STAGE;

/**
 * Agents' secrets in Secrets Manager, by their contract name (`ocf/<env>/agents/<id>`,
 * shared/secrets). The bridge reads the AWSCURRENT version, and writes one thing: the agent's
 * Matrix access token, into a copy of the current version (ADR 0020). The copy becomes AWSCURRENT
 * with a compare-and-set (`UpdateSecretVersionStage` names the version it moves the label from),
 * so a rotation the credentials service writes meanwhile is never overwritten.
 */
export function createSecretsManagerAgentSecrets(
  client: SecretsManagerClient,
  environment: string,
  newId: () => string,
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
        return { versionId: answer.VersionId, value: parseAgentSecretValue(answer.SecretString) };
      } catch (error) {
        // AgentSecretError messages name fields, never values.
        const detail = error instanceof AgentSecretError ? error.message : 'unreadable value';
        throw new AgentSecretReadError(`${name}: ${detail}`, { retryable: false, cause: error });
      }
    },

    async addMatrixToken(agentId, basedOn, matrix) {
      const name = agentSecretName(environment, agentId);
      const value = serializeAgentSecretValue({
        ...basedOn.value,
        matrix: {
          accessToken: matrix.accessToken,
          deviceId: matrix.deviceId,
          ...(matrix.syncFrom === undefined ? {} : { syncFrom: matrix.syncFrom }),
        },
      });
      const versionId = newId();
      try {
        await client.send(
          new PutSecretValueCommand({
            SecretId: name,
            SecretString: value.reveal(),
            ClientRequestToken: versionId,
            // Not AWSCURRENT yet: that label moves below, and only if nobody moved it meanwhile.
            VersionStages: [BRIDGE_VERSION_STAGE],
          }),
        );
      } catch (error) {
        throw toWriteError(name, error);
      }
      try {
        await client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: versionId,
            RemoveFromVersionId: basedOn.versionId,
          }),
        );
      } catch (error) {
        if (error instanceof InvalidParameterException) {
          // AWSCURRENT is on another version now: a rotation came in between. The next look
          // finds that version and mints for it; this token dies with the sessions it ends.
          throw new AgentSecretReadError(`${name} changed while its Matrix token was added; trying again`, {
            retryable: true,
            cause: error,
          });
        }
        throw toWriteError(name, error);
      }
      return versionId;
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

/** A secret scheduled for deletion meanwhile (a retirement) is worth another look, as on reads. */
function toWriteError(name: string, error: unknown): AgentSecretReadError {
  const detail = describeAwsError(error);
  return new AgentSecretReadError(`writing the Matrix token into ${name} failed: ${detail}`, {
    retryable:
      error instanceof ResourceNotFoundException ||
      error instanceof InvalidRequestException ||
      isRetryableAwsError(error),
    cause: error,
  });
}
