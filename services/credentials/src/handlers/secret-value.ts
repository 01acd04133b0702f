import { agentDirectoryToken, agentModelKey, serializeAgentSecretValue, type SecretText } from '@ocf/secrets';
import { newAgentSecretValue } from '../domain/agent-secret.ts';
import type { CredentialsDeps } from './deps.ts';

/**
 * The serialized value of a new version of an agent's secret: its directory token (ADR 0016) and
 * a model key naming `versionId` (ADR 0017), so the key stops working once a newer version is
 * current. Issue and rotation both write it.
 */
export async function agentSecretValueFor(
  deps: CredentialsDeps,
  agentId: string,
  versionId: string,
  signal: AbortSignal,
): Promise<SecretText> {
  const directoryToken = agentDirectoryToken(
    await deps.agentTokenKey.getOrCreate({ signal }),
    deps.environment,
    agentId,
  );
  const modelKey = agentModelKey(
    await deps.modelKeyKey.getOrCreate({ signal }),
    deps.environment,
    agentId,
    versionId,
  );
  return serializeAgentSecretValue(
    newAgentSecretValue(deps.now(), deps.randomBytes, directoryToken, modelKey),
  );
}
