import { createHmac, timingSafeEqual } from 'node:crypto';
import { AgentSecretError } from './errors.ts';
import { SecretText } from './secret-text.ts';

/**
 * An agent's read-only directory token (ADR 0016): `ocfa_<agentId>.<mac>`, where `mac` is an
 * HMAC-SHA256 of the fleet and the agent id under the fleet's agent-token key. The credentials
 * service makes it and puts it in the agent's secret; the directory recomputes it to check it.
 * Nothing per token is stored anywhere, so there is nothing to keep in step between the two
 * services; revocation is the directory's: a token of an agent that is not active is refused.
 */
export const AGENT_DIRECTORY_TOKEN_PREFIX = 'ocfa_';

const SLUG = /^[a-z0-9][a-z0-9-]*$/;

/** `ocf/<environment>/directory/agent-token-key`: the key both services read (credentials makes it). */
export function agentTokenKeyName(environment: string): string {
  if (!SLUG.test(environment)) {
    throw new AgentSecretError('AGENT_SECRET_NAME_INVALID', 'environment must be a lowercase slug');
  }
  return `ocf/${environment}/directory/agent-token-key`;
}

/** The bytes of a new key: 32 random bytes, base64url (its value in Secrets Manager). */
export const AGENT_TOKEN_KEY_BYTES = 32;

function mac(key: SecretText, environment: string, agentId: string): string {
  // The purpose and the fleet are in the MAC, so the key cannot be made to sign anything else.
  return createHmac('sha256', key.reveal())
    .update(`ocf-directory-read\n${environment}\n${agentId}`)
    .digest('base64url');
}

/** The directory token of one agent of one fleet. */
export function agentDirectoryToken(key: SecretText, environment: string, agentId: string): SecretText {
  if (!SLUG.test(agentId)) {
    throw new AgentSecretError('AGENT_SECRET_NAME_INVALID', 'agent id must be a lowercase slug');
  }
  return new SecretText(`${AGENT_DIRECTORY_TOKEN_PREFIX}${agentId}.${mac(key, environment, agentId)}`);
}

export function isAgentDirectoryToken(token: string): boolean {
  return token.startsWith(AGENT_DIRECTORY_TOKEN_PREFIX);
}

/**
 * The agent id a token was made for, when its MAC is right under `key`; undefined otherwise.
 * Compares in constant time. Says nothing about whether the agent is still employed.
 */
export function verifyAgentDirectoryToken(
  key: SecretText,
  environment: string,
  token: string,
): string | undefined {
  if (!isAgentDirectoryToken(token)) return undefined;
  const body = token.slice(AGENT_DIRECTORY_TOKEN_PREFIX.length);
  const dot = body.indexOf('.');
  if (dot <= 0) return undefined;
  const agentId = body.slice(0, dot);
  if (!SLUG.test(agentId)) return undefined;
  const given = Buffer.from(body.slice(dot + 1));
  const expected = Buffer.from(mac(key, environment, agentId));
  return given.length === expected.length && timingSafeEqual(given, expected) ? agentId : undefined;
}
