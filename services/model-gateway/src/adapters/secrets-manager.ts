import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { TransientError } from '@ocf/errors';
import { agentSecretName, MATRIX_TOKEN_VERSION_STAGE, modelKeyKeyName, SecretText } from '@ocf/secrets';
import type { KeyVersion, KeyVersions } from '../ports.ts';

/**
 * The fleet's model-key key (`ocf/<env>/model-gateway/agent-key-key`), which credentials makes
 * with the first hire. Read again after `ttlMs`, so a replaced key (which revokes every agent's
 * model key until its next rotation) reaches the gateway within that time.
 */
export function createModelKeyKeyReader(
  client: Pick<SecretsManagerClient, 'send'>,
  environment: string,
  options: { readonly ttlMs?: number; readonly now?: () => number } = {},
): () => Promise<SecretText | undefined> {
  const name = modelKeyKeyName(environment);
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { key: SecretText | undefined; until: number } | undefined;
  return async () => {
    if (cached !== undefined && cached.until > now()) return cached.key;
    let key: SecretText | undefined;
    try {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: name }));
      key = SecretString === undefined ? undefined : new SecretText(SecretString);
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) {
        throw new TransientError(
          'MODEL_KEY_KEY_UNREADABLE',
          `could not read ${name}: ${(error as Error).name}`,
          error,
        );
      }
    }
    // No key yet: asked again soon, as the first hire makes it.
    cached = { key, until: now() + (key === undefined ? 5_000 : ttlMs) };
    return key;
  };
}

/**
 * The current version of each agent's secret, from DescribeSecret: metadata only, so the gateway
 * never holds an agent's password or key, only the id of the version its key must name. Cached
 * per agent for `ttlMs`; `fresh` reads again at once for a version not seen yet, and at most once
 * per `minRefreshMs` per agent and version after that, so a stream of old keys (whose version is
 * known to be replaced) cannot turn into a stream of DescribeSecret calls.
 */
export function createSecretsManagerKeyVersions(
  client: Pick<SecretsManagerClient, 'send'>,
  environment: string,
  options: { readonly ttlMs?: number; readonly minRefreshMs?: number; readonly now?: () => number } = {},
): KeyVersions {
  const ttlMs = options.ttlMs ?? 60_000;
  const minRefreshMs = options.minRefreshMs ?? 5_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { version: KeyVersion; readAt: number }>();
  const refreshedFor = new Map<string, number>();

  async function read(agentId: string): Promise<KeyVersion> {
    const name = agentSecretName(environment, agentId);
    try {
      const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
      if (described.DeletedDate !== undefined) return { state: 'scheduled-for-deletion' };
      const versions = Object.entries(described.VersionIdsToStages ?? {});
      const current = versions.find(([, stages]) => stages.includes('AWSCURRENT'));
      // A current version the bridge wrote is a copy of the credentials' version with the agent's
      // Matrix token added, and the key names that one: AWSPREVIOUS, where the copy's move put it.
      // A rotation makes a credentials' version current again, and the old key stops at once.
      const base = current?.[1].includes(MATRIX_TOKEN_VERSION_STAGE)
        ? versions.find(([, stages]) => stages.includes('AWSPREVIOUS'))?.[0]
        : undefined;
      return { state: 'active', versionId: base ?? current?.[0] };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return { state: 'absent' };
      throw new TransientError(
        'SECRET_UNDESCRIBABLE',
        `could not describe ${name}: ${(error as Error).name}`,
        error,
      );
    }
  }

  return {
    async current(agentId, { fresh = false, claimedVersionId = '' } = {}) {
      const hit = cache.get(agentId);
      const age = hit === undefined ? Infinity : now() - hit.readAt;
      if (fresh) {
        const key = `${agentId}\n${claimedVersionId}`;
        const last = refreshedFor.get(key);
        if (hit !== undefined && last !== undefined && now() - last < minRefreshMs) return hit.version;
        refreshedFor.set(key, now());
        if (refreshedFor.size > 10_000) refreshedFor.clear();
      } else if (hit !== undefined && age < ttlMs) {
        return hit.version;
      }
      const version = await read(agentId);
      cache.set(agentId, { version, readAt: now() });
      return version;
    },
  };
}

/** Fixed versions: for unit tests. */
export function createMemoryKeyVersions(versions: Map<string, KeyVersion>): KeyVersions {
  return { current: (agentId) => Promise.resolve(versions.get(agentId) ?? { state: 'absent' }) };
}
