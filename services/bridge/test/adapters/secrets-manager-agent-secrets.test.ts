import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InvalidParameterException,
  InvalidRequestException,
  ResourceNotFoundException,
  SecretsManagerServiceException,
  type GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerAgentSecrets } from '../../src/adapters/secrets-manager-agent-secrets.ts';
import { AgentSecretReadError } from '../../src/ports.ts';
import { SecretText } from '@ocf/secrets';

const PASSWORD = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
const DIRECTORY_TOKEN = 'ocfa_ada.Zm9vYmFyYmF6cXV4cXV1eGNvcmdl';
const ACCESS_TOKEN = 'syt_YWdlbnQtYWRh_canaryTokenValue_0abc12';
const newId = () => 'v-bridge';

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
  it('reads the AWSCURRENT version by the contract name, its secrets kept wrapped', async () => {
    const { client, sent } = clientAnswering({
      VersionId: 'v-1',
      SecretString: JSON.stringify({
        version: 1,
        matrix: { accessToken: ACCESS_TOKEN, deviceId: 'OCFAGENT' },
        issuedAt: '2026-11-25T10:00:00Z',
      }),
    });
    const current = await createSecretsManagerAgentSecrets(client, 'prod', newId).current('ada');
    assert.equal(current.versionId, 'v-1');
    assert.equal(current.value.matrix?.accessToken?.reveal(), ACCESS_TOKEN);
    assert.equal(String(current.value.matrix.accessToken), '[REDACTED]');
    assert.deepEqual(sent[0]?.input, { SecretId: 'ocf/prod/agents/ada', VersionStage: 'AWSCURRENT' });
  });

  it('adds the Matrix token as a version of its own, made current only from the version it copied', async () => {
    const { client, sent } = clientAnswering({});
    const basedOn = {
      versionId: 'v-credentials',
      value: {
        version: 1 as const,
        issuedAt: '2026-11-25T10:00:00.000Z',
        directory: { token: new SecretText(DIRECTORY_TOKEN) },
      },
    };
    const versionId = await createSecretsManagerAgentSecrets(client, 'prod', newId).addMatrixToken(
      'ada',
      basedOn,
      { accessToken: new SecretText(ACCESS_TOKEN), deviceId: 'OCFAGENT' },
    );
    assert.equal(versionId, 'v-bridge');
    const [put, move] = sent.map((command) => command.input as unknown as Record<string, unknown>);
    assert.deepEqual(JSON.parse(String(put?.['SecretString'])), {
      version: 1,
      issuedAt: '2026-11-25T10:00:00.000Z',
      directory: { token: DIRECTORY_TOKEN },
      matrix: { accessToken: ACCESS_TOKEN, deviceId: 'OCFAGENT' },
    });
    assert.equal(put?.['ClientRequestToken'], 'v-bridge');
    assert.deepEqual(put['VersionStages'], ['OCF_BRIDGE'], 'not AWSCURRENT until the compare-and-set');
    assert.deepEqual(move, {
      SecretId: 'ocf/prod/agents/ada',
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: 'v-bridge',
      RemoveFromVersionId: 'v-credentials',
    });
  });

  it('tries again later when a rotation moved AWSCURRENT meanwhile, naming no secret value', async () => {
    let calls = 0;
    const client = {
      send() {
        return ++calls === 1
          ? Promise.resolve({})
          : Promise.reject(new InvalidParameterException({ message: 'not current', ...$metadata(400) }));
      },
    } as unknown as SecretsManagerClient;
    await assert.rejects(
      createSecretsManagerAgentSecrets(client, 'prod', newId).addMatrixToken(
        'ada',
        { versionId: 'v-1', value: { version: 1, issuedAt: '2026-11-25T10:00:00.000Z' } },
        { accessToken: new SecretText(ACCESS_TOKEN), deviceId: 'OCFAGENT' },
      ),
      (thrown: unknown) =>
        thrown instanceof AgentSecretReadError && thrown.retryable && !thrown.message.includes(ACCESS_TOKEN),
    );
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
        createSecretsManagerAgentSecrets(clientAnswering(error).client, 'prod', newId).current('ada'),
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
      createSecretsManagerAgentSecrets(clientAnswering(denied).client, 'prod', newId).current('ada'),
      (thrown: unknown) => thrown instanceof AgentSecretReadError && !thrown.retryable,
    );
    const malformed = {
      VersionId: 'v-1',
      SecretString: `{"version":1,"matrix":{"password":"short ${PASSWORD}"}}`,
    };
    await assert.rejects(
      createSecretsManagerAgentSecrets(clientAnswering(malformed).client, 'prod', newId).current('ada'),
      (thrown: unknown) =>
        thrown instanceof AgentSecretReadError &&
        !thrown.retryable &&
        thrown.message.includes('ocf/prod/agents/ada') &&
        !thrown.message.includes(PASSWORD),
    );
  });
});
