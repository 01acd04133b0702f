import { AgentSecretError } from './errors.ts';

/**
 * Names and tags of agents' secrets. The name is the contract: the credentials service creates
 * the secret under it, the bridge and the agent container find it by it, and IAM policies scope
 * access with it. Environment and agent id are slugs, so a name can never step outside its
 * agent's place (no `/`, no wildcard characters).
 */
const SLUG = /^[a-z0-9][a-z0-9-]*$/;

/** `ocf/<environment>/agents/` — every agent secret of one fleet, e.g. for a ListSecrets filter. */
export function agentSecretNamePrefix(environment: string): string {
  assertSlug('environment', environment);
  return `ocf/${environment}/agents/`;
}

/** `ocf/<environment>/agents/<agentId>`: the one secret of one agent. */
export function agentSecretName(environment: string, agentId: string): string {
  assertSlug('agent id', agentId);
  return `${agentSecretNamePrefix(environment)}${agentId}`;
}

/**
 * Tag keys every agent secret carries. IAM conditions (`secretsmanager:ResourceTag/...`) and
 * operators' queries rely on them, so they are part of the contract too.
 */
export const AGENT_SECRET_TAG_KEYS = {
  agentId: 'ocf:agent-id',
  environment: 'ocf:environment',
  managedBy: 'ocf:managed-by',
} as const;

function assertSlug(what: string, value: string): void {
  if (!SLUG.test(value)) {
    throw new AgentSecretError(
      'AGENT_SECRET_NAME_INVALID',
      `${what} must be a lowercase slug (letters, digits, hyphens), got "${value.slice(0, 64)}"`,
    );
  }
}

/**
 * The bridge's staging label on the versions of an agent's secret it writes: a copy of the
 * credentials service's version with the agent's Matrix token added, made AWSCURRENT by moving
 * the label from that version, which Secrets Manager then marks AWSPREVIOUS (ADR 0020). A label
 * is on one version at a time, so it marks the bridge's latest copy. The model gateway uses it to
 * find the credentials' version a model key names (ADR 0017).
 */
export const MATRIX_TOKEN_VERSION_STAGE = 'OCF_BRIDGE';
