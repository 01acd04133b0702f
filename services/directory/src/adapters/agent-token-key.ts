import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretText } from '@ocf/secrets';
import type { AgentTokenKeySource } from '../auth.ts';

/**
 * The fleet's agent-token key from Secrets Manager (ADR 0016). The credentials service creates it
 * with the first agent's credentials; until then there is none and no agent token can be valid.
 * Kept in memory for a while so a read costs no Secrets Manager call; a missing key is asked
 * for again soon, since the first hire makes it.
 */
export function createSecretsManagerKeySource(
  client: SecretsManagerClient,
  secretName: string,
  { foundTtlMs = 5 * 60_000, missingTtlMs = 10_000, now = Date.now } = {},
): AgentTokenKeySource {
  let cached: { key: SecretText | undefined; until: number } | undefined;
  let pending: Promise<SecretText | undefined> | undefined;

  async function load(): Promise<SecretText | undefined> {
    try {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretName }));
      const key =
        SecretString === undefined || SecretString === '' ? undefined : new SecretText(SecretString);
      cached = { key, until: now() + (key === undefined ? missingTtlMs : foundTtlMs) };
      return key;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        cached = { key: undefined, until: now() + missingTtlMs };
        return undefined;
      }
      // The SDK's error name only: nothing about the value, and no stack of request details.
      const name = (error as { name?: string }).name ?? 'Error';
      throw new Error(`could not read the agent-token key ${secretName}: ${name}`, { cause: error });
    }
  }

  return async () => {
    if (cached !== undefined && cached.until > now()) return cached.key;
    pending ??= load().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
