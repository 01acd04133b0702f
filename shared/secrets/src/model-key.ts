import { createHmac, timingSafeEqual } from 'node:crypto';
import { AgentSecretError } from './errors.ts';
import { SecretText } from './secret-text.ts';

/**
 * An agent's key for the model gateway (ADR 0017): `ocfm_<agentId>.<versionId>.<mac>`, where
 * `versionId` is the id of the agent-secret version the key was written into and `mac` an
 * HMAC-SHA256 of the fleet, the agent id and that version id under the fleet's model-key key.
 *
 * The credentials service makes it with the agent's other credentials and writes it into the
 * agent's secret; nothing else ever holds it. The gateway recomputes the MAC (so nothing per key
 * is stored), then checks that `versionId` is still the secret's current version (DescribeSecret:
 * metadata only, never the value): a rotation makes a new version, so the old key stops working,
 * and a retirement schedules the secret for deletion, so the key stops working too.
 */
export const AGENT_MODEL_KEY_PREFIX = 'ocfm_';

const SLUG = /^[a-z0-9][a-z0-9-]*$/;
/** Secrets Manager version ids: 32-64 characters; ours are UUIDs (credentials' requestToken). */
const VERSION_ID = /^[A-Za-z0-9-]{8,64}$/;

/** `ocf/<environment>/model-gateway/agent-key-key`: the key credentials signs with and the gateway checks with. */
export function modelKeyKeyName(environment: string): string {
  if (!SLUG.test(environment)) {
    throw new AgentSecretError('AGENT_SECRET_NAME_INVALID', 'environment must be a lowercase slug');
  }
  return `ocf/${environment}/model-gateway/agent-key-key`;
}

function mac(key: SecretText, environment: string, agentId: string, versionId: string): string {
  // Purpose and fleet are in the MAC: this key signs model keys of one fleet and nothing else.
  return createHmac('sha256', key.reveal())
    .update(`ocf-model-gateway\n${environment}\n${agentId}\n${versionId}`)
    .digest('base64url');
}

/** The model key of one agent of one fleet, for one version of its secret. */
export function agentModelKey(
  key: SecretText,
  environment: string,
  agentId: string,
  versionId: string,
): SecretText {
  if (!SLUG.test(agentId)) {
    throw new AgentSecretError('AGENT_SECRET_NAME_INVALID', 'agent id must be a lowercase slug');
  }
  if (!VERSION_ID.test(versionId)) {
    throw new AgentSecretError(
      'AGENT_SECRET_VALUE_INVALID',
      'secret version id must be 8-64 letters, digits or hyphens',
    );
  }
  return new SecretText(
    `${AGENT_MODEL_KEY_PREFIX}${agentId}.${versionId}.${mac(key, environment, agentId, versionId)}`,
  );
}

/** Whose key it claims to be, without checking anything: for answering "unknown key" vs "not yours". */
export function claimedModelKeyAgent(token: string): string | undefined {
  if (!token.startsWith(AGENT_MODEL_KEY_PREFIX)) return undefined;
  const agentId = token.slice(AGENT_MODEL_KEY_PREFIX.length).split('.')[0] ?? '';
  return SLUG.test(agentId) ? agentId : undefined;
}

/**
 * The agent and secret version a key was made for, when its MAC is right under `key`; undefined
 * otherwise. Constant-time comparison. Says nothing about whether that version is still current
 * or the agent still employed: the gateway checks both.
 */
export function verifyAgentModelKey(
  key: SecretText,
  environment: string,
  token: string,
): { agentId: string; versionId: string } | undefined {
  if (!token.startsWith(AGENT_MODEL_KEY_PREFIX)) return undefined;
  const parts = token.slice(AGENT_MODEL_KEY_PREFIX.length).split('.');
  if (parts.length !== 3) return undefined;
  const [agentId = '', versionId = '', given = ''] = parts;
  if (!SLUG.test(agentId) || !VERSION_ID.test(versionId)) return undefined;
  const expected = Buffer.from(mac(key, environment, agentId, versionId));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected)
    ? { agentId, versionId }
    : undefined;
}
