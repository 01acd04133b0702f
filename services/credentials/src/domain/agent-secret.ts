import {
  AGENT_SECRET_FORMAT_VERSION,
  AGENT_SECRET_TAG_KEYS,
  SecretText,
  type AgentSecretValue,
} from '@ocf/secrets';

/** Fills a buffer with cryptographically strong random bytes (node:crypto's randomBytes). */
export type RandomBytes = (size: number) => Uint8Array;

/**
 * 32 random bytes: 256 bits, beyond any guessing, as strong as the key that encrypts it at rest.
 * base64url makes 43 printable characters that need no quoting anywhere.
 */
const PASSWORD_BYTES = 32;

/**
 * A fresh value for an agent's secret: a new random Matrix password (see ADR 0006 for why random),
 * the agent's read-only directory token (ADR 0016), which is the same on every rotation, and its
 * model-gateway key (ADR 0017), which names the secret version it is written into.
 */
export function newAgentSecretValue(
  issuedAt: Date,
  randomBytes: RandomBytes,
  directoryToken: SecretText,
  modelKey?: SecretText,
): AgentSecretValue {
  const password = Buffer.from(randomBytes(PASSWORD_BYTES)).toString('base64url');
  return {
    version: AGENT_SECRET_FORMAT_VERSION,
    matrix: { password: new SecretText(password) },
    issuedAt: issuedAt.toISOString(),
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
  return `Matrix credential of fleet agent ${agentId}. Managed by the credentials service; do not edit by hand.`;
}
