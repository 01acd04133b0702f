import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { AGENT_SECRET_TAG_KEYS, AGENT_TOKEN_KEY_BYTES, agentTokenKeyName, SecretText } from '@ocf/secrets';
import type { RandomBytes } from '../domain/agent-secret.ts';
import type { AgentTokenKeyStore } from '../ports.ts';
import { toSecretStoreError } from './secrets-manager-errors.ts';

export interface TokenKeySettings {
  readonly environment: string;
  /** Which fleet key: the directory's agent-token key (the default), or the model gateway's model-key key. */
  readonly name?: string;
  readonly description?: string;
  readonly kmsKeyId: string | undefined;
  readonly randomBytes: RandomBytes;
  /** How long a read key is used before it is read again (a replaced key takes this long to reach us). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * The agent-token key in Secrets Manager, `ocf/<env>/directory/agent-token-key`. The first hire
 * makes it; two workers making it at once both end up with whichever was written first.
 */
export function createSecretsManagerTokenKey(
  client: SecretsManagerClient,
  settings: TokenKeySettings,
): AgentTokenKeyStore {
  const name = settings.name ?? agentTokenKeyName(settings.environment);
  const ttlMs = settings.ttlMs ?? 5 * 60_000;
  const now = settings.now ?? Date.now;
  let cached: { key: SecretText; until: number } | undefined;

  async function read(signal: AbortSignal | undefined): Promise<SecretText | undefined> {
    try {
      const { SecretString } = await client.send(
        new GetSecretValueCommand({ SecretId: name }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return SecretString === undefined ? undefined : new SecretText(SecretString);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw toSecretStoreError('GetSecretValue', name, error);
    }
  }

  async function create(signal: AbortSignal | undefined): Promise<void> {
    try {
      await client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: Buffer.from(settings.randomBytes(AGENT_TOKEN_KEY_BYTES)).toString('base64url'),
          Description:
            settings.description ??
            "Key of fleet agents' read-only directory tokens. Read by the directory and the credentials service; replacing it invalidates every agent's token until its next rotation.",
          Tags: [
            { Key: AGENT_SECRET_TAG_KEYS.environment, Value: settings.environment },
            { Key: AGENT_SECRET_TAG_KEYS.managedBy, Value: 'ocf-credentials' },
          ],
          KmsKeyId: settings.kmsKeyId,
        }),
        signal === undefined ? {} : { abortSignal: signal },
      );
    } catch (error) {
      // Another worker made it first: theirs is the key.
      if (error instanceof ResourceExistsException) return;
      throw toSecretStoreError('CreateSecret', name, error);
    }
  }

  return {
    async getOrCreate({ signal }) {
      if (cached !== undefined && cached.until > now()) return cached.key;
      let key = await read(signal);
      if (key === undefined) {
        await create(signal);
        key = await read(signal);
      }
      if (key === undefined)
        throw toSecretStoreError('GetSecretValue', name, new Error('no value after creating it'));
      cached = { key, until: now() + ttlMs };
      return key;
    },
  };
}

/** A fixed key, for unit tests. */
export function createMemoryTokenKey(
  key = new SecretText('memory-agent-token-key-0123456789'),
): AgentTokenKeyStore {
  return { getOrCreate: () => Promise.resolve(key) };
}
