import {
  AGENT_SECRET_FORMAT_VERSION,
  AGENT_SECRET_TAG_KEYS,
  type AgentSecretValue,
  type SecretText,
} from '@ocf/secrets';

/** Fills a buffer with cryptographically strong random bytes (node:crypto's randomBytes). */
export type RandomBytes = (size: number) => Uint8Array;

/**
 * A fresh value for an agent's secret: when it was made, the agent's read-only directory token
 * (ADR 0016), which is the same on every rotation, and its model-gateway key (ADR 0017), which
 * names the secret version it is written into. The Matrix part is the bridge's: it adds the
 * agent's access token to whichever version is current (ADR 0020), so a rotation's new version,
 * which has none, is what makes the bridge end the old sessions and mint a new token.
 */
export function newAgentSecretValue(
  issuedAt: Date,
  randomBytes: RandomBytes,
  directoryToken: SecretText,
  modelKey?: SecretText,
): AgentSecretValue {
  return {
    version: AGENT_SECRET_FORMAT_VERSION,
    issuedAt: issuedAt.toISOString(),
    // Every attempt writes a different value: a second write under a request's token is refused
    // as a conflict, never taken as a repeat of the first (see ADR 0006, idempotency).
    valueId: Buffer.from(randomBytes(16)).toString('base64url'),
    directory: { token: directoryToken },
    ...(modelKey === undefined ? {} : { model: { key: modelKey } }),
  };
}

export function agentSecretTags(environment: string, agentId: string): Record<string, string> {
  return {
    [AGENT_SECRET_TAG_KEYS.agentId]: agentId,
    [AGENT_SECRET_TAG_KEYS.environment]: environment,
    [AGENT_SECRET_TAG_KEYS.managedBy]: 'ocf-credentials',
  };
}

export function agentSecretDescription(agentId: string): string {
  return `Credentials of fleet agent ${agentId}. Managed by the credentials service and the bridge; do not edit by hand.`;
}
