import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretText, serializeAgentSecretValue } from '@ocf/secrets';
import { readAgentCredentials } from '../src/credentials.ts';

const accessToken = 'syt_' + 'p'.repeat(43);
const secretString = serializeAgentSecretValue({
  version: 1,
  matrix: { accessToken: new SecretText(accessToken), deviceId: 'OCFAGENT' },
  issuedAt: '2026-11-25T10:00:00.000Z',
}).reveal();

/** Answers GetSecretValue from a map, records what was asked. */
function fakeSecretsManager(values: Record<string, string>): SecretsManagerClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    send: (command: { input: { SecretId: string } }) => {
      asked.push(command.input.SecretId);
      const value = values[command.input.SecretId];
      return value === undefined
        ? Promise.reject(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }))
        : Promise.resolve({ SecretString: value });
    },
  } as unknown as SecretsManagerClient & { asked: string[] };
}

const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/prod/agents/ada-AbCdEf';

describe("reading the agent's credentials", () => {
  it('reads its own secret by ARN and keeps the access token wrapped', async () => {
    const sm = fakeSecretsManager({ [arn]: secretString });
    const credentials = await readAgentCredentials({
      secretsManager: sm,
      environment: 'prod',
      agentId: 'ada',
      source: { arn },
    });
    assert.equal(credentials.matrixAccessToken.reveal(), accessToken);
    assert.equal(String(credentials.matrixAccessToken), '[REDACTED]');
  });

  it('refuses, retryably, a secret the bridge has not added the Matrix token to yet', async () => {
    const early = serializeAgentSecretValue({ version: 1, issuedAt: '2026-11-25T10:00:00.000Z' }).reveal();
    await assert.rejects(
      readAgentCredentials({
        secretsManager: fakeSecretsManager({ [arn]: early }),
        environment: 'prod',
        agentId: 'ada',
        source: { arn },
      }),
      (error: unknown) =>
        (error as { code?: string; retryable?: boolean }).code === 'MATRIX_TOKEN_MISSING' &&
        (error as { retryable?: boolean }).retryable === true,
    );
  });

  it('reads its directory token when the secret has one, and does without on an older secret', async () => {
    const token = 'ocfa_ada.' + 't'.repeat(43);
    const withToken = serializeAgentSecretValue({
      version: 1,
      matrix: { accessToken: new SecretText(accessToken) },
      issuedAt: '2026-11-25T10:00:00.000Z',
      directory: { token: new SecretText(token) },
    }).reveal();
    const read = (value: string) =>
      readAgentCredentials({
        secretsManager: fakeSecretsManager({ [arn]: value }),
        environment: 'prod',
        agentId: 'ada',
        source: { arn },
      });
    const credentials = await read(withToken);
    assert.equal(credentials.directoryToken?.reveal(), token);
    assert.equal(String(credentials.directoryToken), '[REDACTED]');
    assert.equal((await read(secretString)).directoryToken, undefined);
  });

  it("reads the first session's sync position when the bridge put one there (ADR 0028)", async () => {
    const withPosition = serializeAgentSecretValue({
      version: 1,
      matrix: { accessToken: new SecretText(accessToken), deviceId: 'OCFAGENT', syncFrom: 's9_4_0_1' },
      issuedAt: '2026-11-25T10:00:00.000Z',
    }).reveal();
    const read = (value: string) =>
      readAgentCredentials({
        secretsManager: fakeSecretsManager({ [arn]: value }),
        environment: 'prod',
        agentId: 'ada',
        source: { arn },
      });
    assert.equal((await read(withPosition)).matrixSyncFrom, 's9_4_0_1');
    assert.equal((await read(secretString)).matrixSyncFrom, undefined);
  });

  it("refuses an ARN of another agent's secret before asking for it", async () => {
    const sm = fakeSecretsManager({});
    const other = arn.replace('/ada-', '/adam-');
    await assert.rejects(
      readAgentCredentials({
        secretsManager: sm,
        environment: 'prod',
        agentId: 'ada',
        source: { arn: other },
      }),
      { code: 'AGENT_SECRET_MISMATCH' },
    );
    assert.deepEqual(sm.asked, []);
  });

  it('reads an API key secret given bare or as JSON, and says which secret failed without its value', async () => {
    const keyArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:llm-key-AbCdEf';
    for (const stored of ['sk-123', '{"apiKey":"sk-123"}']) {
      const sm = fakeSecretsManager({ [arn]: secretString, [keyArn]: stored });
      const credentials = await readAgentCredentials({
        secretsManager: sm,
        environment: 'prod',
        agentId: 'ada',
        source: { arn },
        modelApiKeyArn: keyArn,
      });
      assert.equal(credentials.modelApiKey?.reveal(), 'sk-123');
    }
    const broken = fakeSecretsManager({ [arn]: '{"version":1,"matrix":{"accessToken":"short"}}' });
    await assert.rejects(
      readAgentCredentials({ secretsManager: broken, environment: 'prod', agentId: 'ada', source: { arn } }),
      (error: Error) => !error.message.includes('short'),
    );
  });
});
