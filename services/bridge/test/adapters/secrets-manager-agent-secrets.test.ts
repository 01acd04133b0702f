import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InvalidRequestException,
  ResourceNotFoundException,
  SecretsManagerServiceException,
  type GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerAgentSecrets } from '../../src/adapters/secrets-manager-agent-secrets.ts';
import { AgentSecretReadError } from '../../src/ports.ts';

const PASSWORD = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';

/** A client that answers every call with `answer` (or fails with it), and remembers the calls. */
function clientAnswering(answer: unknown) {
  const sent: GetSecretValueCommand[] = [];
  const client = {
    send(command: GetSecretValueCommand) {
      sent.push(command);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  } as unknown as SecretsManagerClient;
  return { client, sent };
}

const $metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe('agent secrets from Secrets Manager', () => {
  it('reads the AWSCURRENT version by the contract name, the password kept wrapped', async () => {
    const { client, sent } = clientAnswering({
      VersionId: 'v-1',
      SecretString: JSON.stringify({
        version: 1,
        matrix: { password: PASSWORD },
        issuedAt: '2026-11-25T10:00:00Z',
      }),
    });
    const current = await createSecretsManagerAgentSecrets(client, 'prod').current('ada');
    assert.equal(current.versionId, 'v-1');
    assert.equal(current.password.reveal(), PASSWORD);
    assert.equal(String(current.password), '[REDACTED]');
    assert.deepEqual(sent[0]?.input, { SecretId: 'ocf/prod/agents/ada', VersionStage: 'AWSCURRENT' });
  });

  it('waits for a secret that is missing or scheduled for deletion, and for throttling', async () => {
    for (const error of [
      new ResourceNotFoundException({ message: 'not found', ...$metadata(400) }),
      new InvalidRequestException({ message: 'marked for deletion', ...$metadata(400) }),
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        ...$metadata(400),
      }),
      new Error('socket hang up'),
    ]) {
      await assert.rejects(
        createSecretsManagerAgentSecrets(clientAnswering(error).client, 'prod').current('ada'),
        (thrown: unknown) => thrown instanceof AgentSecretReadError && thrown.retryable,
        error.name,
      );
    }
  });

  it('gives up on access denied and on a value that breaks the format, naming the secret only', async () => {
    const denied = new SecretsManagerServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      ...$metadata(400),
    });
    await assert.rejects(
      createSecretsManagerAgentSecrets(clientAnswering(denied).client, 'prod').current('ada'),
      (thrown: unknown) => thrown instanceof AgentSecretReadError && !thrown.retryable,
    );
    const malformed = {
      VersionId: 'v-1',
      SecretString: `{"version":1,"matrix":{"password":"short ${PASSWORD}"}}`,
    };
    await assert.rejects(
      createSecretsManagerAgentSecrets(clientAnswering(malformed).client, 'prod').current('ada'),
      (thrown: unknown) =>
        thrown instanceof AgentSecretReadError &&
        !thrown.retryable &&
        thrown.message.includes('ocf/prod/agents/ada') &&
        !thrown.message.includes(PASSWORD),
    );
  });
});
