import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { agentSecretName, parseAgentSecretValue, SecretText, type AgentSecretValue } from '@ocf/secrets';

/** What the agent needs from its secrets. Values stay wrapped in SecretText until written out. */
export interface AgentCredentials {
  /** The Matrix access token the bridge minted into the secret (ADR 0020). */
  readonly matrixAccessToken: SecretText;
  /**
   * Where the account's sync stream was before it was in any room (ADR 0028; not a secret): a
   * gateway that has never run starts there. Secrets written before it existed have none.
   */
  readonly matrixSyncFrom?: string | undefined;
  /**
   * The agent's own read-only token for the directory (ADR 0016). A secret written before these
   * tokens existed has none until its next rotation; the directory then refuses the agent's reads.
   */
  readonly directoryToken?: SecretText | undefined;
  /** The OpenAI-compatible endpoint's key, when the fleet configured one. */
  readonly modelApiKey?: SecretText | undefined;
  /** The agent's own key for the fleet's model gateway (ADR 0017), from its secret. */
  readonly modelGatewayKey?: SecretText | undefined;
}

export class CredentialsError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CredentialsError';
    this.code = code;
    this.retryable = options.retryable;
  }
}

export type AgentSecretSource = { readonly arn: string } | { readonly file: string };

/**
 * Reads the agent's own secret (docs/adr/0006): from Secrets Manager by the ARN the task was
 * given, or from the file a secret-init container wrote. An ARN must name this agent's secret
 * (`ocf/<env>/agents/<agentId>-XXXXXX`): a task wired to someone else's secret stops here rather
 * than logging in as them.
 */
export async function readAgentCredentials(params: {
  readonly secretsManager: SecretsManagerClient;
  readonly environment: string;
  readonly agentId: string;
  readonly source: AgentSecretSource;
  readonly modelApiKeyArn?: string | undefined;
}): Promise<AgentCredentials> {
  const { secretsManager, source } = params;
  let secretString: SecretText;
  if ('arn' in source) {
    assertOwnSecret(source.arn, agentSecretName(params.environment, params.agentId));
    secretString = await getSecretString(secretsManager, source.arn);
  } else {
    secretString = await readSecretFile(source.file);
  }
  const value: AgentSecretValue = parseAgentSecretValue(secretString);
  const matrixAccessToken = value.matrix?.accessToken;
  if (matrixAccessToken === undefined) {
    // Provisioning starts the agent after ChatAccountReady, when the bridge has added the token;
    // a secret without one was read too early (or from before ADR 0020): a restart reads it again.
    throw new CredentialsError(
      'MATRIX_TOKEN_MISSING',
      "the agent's secret holds no Matrix access token yet (the bridge adds it when it makes the account)",
      { retryable: true },
    );
  }
  const modelApiKey =
    params.modelApiKeyArn === undefined
      ? undefined
      : apiKeyFrom(await getSecretString(secretsManager, params.modelApiKeyArn));
  return {
    matrixAccessToken,
    matrixSyncFrom: value.matrix?.syncFrom,
    directoryToken: value.directory?.token,
    modelApiKey,
    modelGatewayKey: value.model?.key,
  };
}

function assertOwnSecret(arn: string, expectedName: string): void {
  // Secrets Manager appends "-" and six random characters to the name in the ARN.
  const name = arn.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, '');
  if (name !== expectedName) {
    throw new CredentialsError(
      'AGENT_SECRET_MISMATCH',
      `AGENT_SECRET_ARN names "${name ?? arn}", but this agent's secret is "${expectedName}"`,
      { retryable: false },
    );
  }
}

async function getSecretString(client: SecretsManagerClient, secretId: string): Promise<SecretText> {
  try {
    // AWSCURRENT by name: the bridge makes its version current by moving that label (ADR 0020).
    const result = await client.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }),
    );
    if (result.SecretString === undefined) {
      throw new CredentialsError('SECRET_EMPTY', `secret ${secretId} has no string value`, {
        retryable: false,
      });
    }
    return new SecretText(result.SecretString);
  } catch (error) {
    if (error instanceof CredentialsError) throw error;
    const name = (error as { name?: string }).name ?? 'Error';
    // Only the SDK's error name: its messages are value-free, but this is where not to find out.
    throw new CredentialsError('SECRET_UNREADABLE', `could not read secret ${secretId}: ${name}`, {
      retryable: !['AccessDeniedException', 'ResourceNotFoundException', 'DecryptionFailure'].includes(name),
      cause: error,
    });
  }
}

async function readSecretFile(path: string): Promise<SecretText> {
  try {
    return new SecretText(await readFile(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    throw new CredentialsError('SECRET_UNREADABLE', `could not read secret file ${path}: ${code}`, {
      retryable: false,
      cause: error,
    });
  }
}

/** An API key secret holds the bare key, or JSON with an `apiKey` field. */
function apiKeyFrom(secret: SecretText): SecretText {
  const text = secret.reveal().trim();
  if (text.startsWith('{')) {
    try {
      const { apiKey } = JSON.parse(text) as { apiKey?: unknown };
      if (typeof apiKey === 'string' && apiKey !== '') return new SecretText(apiKey);
    } catch {
      // JSON.parse quotes its input in the message: fall through to the generic error.
    }
    throw new CredentialsError('SECRET_INVALID', 'the model API key secret has no "apiKey" field', {
      retryable: false,
    });
  }
  return new SecretText(text);
}
