import { AGENT_SECRET_TAG_KEYS, agentSecretName } from './naming.ts';

/**
 * Whether a secret named by an event is the agent's own. Events carry secret ARNs, and a consumer
 * that acts on one (provisioning launches the agent's task with it) must not take another agent's
 * secret because an event said so. Two checks, both answering "why not" or `undefined`:
 *
 * - by name (pure): the ARN's name part, without the six random characters Secrets Manager
 *   appends, is `agentSecretName(environment, agentId)`;
 * - by what Secrets Manager says about the secret (DescribeSecret): it is that very ARN, under
 *   that name, tagged with the agent's id and environment. This closes what the name alone
 *   cannot: a partial ARN (no suffix) of agent `ada-a1b2c3`'s secret reads, by name, like a full
 *   ARN of `ada`'s.
 *
 * Reasons name the ARN and the expected secret, never a value.
 */

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+)-[A-Za-z0-9]{6}$/;

/** The secret name in a full Secrets Manager ARN (suffix removed), or undefined if it is not one. */
export function secretNameOfArn(arn: string): string | undefined {
  return SECRET_ARN.exec(arn)?.[1];
}

/** Why `secretArn` is not, by its name, the secret of `agentId` in `environment`; undefined if it is. */
export function foreignSecretArnReason(
  secretArn: string,
  environment: string,
  agentId: string,
): string | undefined {
  const expected = agentSecretName(environment, agentId);
  const name = secretNameOfArn(secretArn);
  if (name === undefined) {
    return `secretArn ${secretArn} is not a full Secrets Manager secret ARN; agent ${agentId}'s secret is "${expected}"`;
  }
  if (name !== expected) {
    return `secretArn ${secretArn} names secret "${name}", but agent ${agentId}'s secret is "${expected}"`;
  }
  return undefined;
}

/** What DescribeSecret says about a secret, as far as ownership goes. */
export interface DescribedSecret {
  readonly arn: string | undefined;
  readonly name: string | undefined;
  readonly tags: readonly { readonly Key?: string | undefined; readonly Value?: string | undefined }[];
}

/**
 * Why the described secret is not `agentId`'s own secret at `secretArn`; undefined if it is.
 * Run it after `foreignSecretArnReason`: it adds what only Secrets Manager knows.
 */
export function foreignSecretDescriptionReason(
  secretArn: string,
  described: DescribedSecret,
  environment: string,
  agentId: string,
): string | undefined {
  const expected = agentSecretName(environment, agentId);
  if (described.arn !== secretArn || described.name !== expected) {
    return `secretArn ${secretArn} resolves to secret "${described.name ?? '?'}" (${described.arn ?? '?'}), not agent ${agentId}'s "${expected}"`;
  }
  const tag = (key: string) => described.tags.find((t) => t.Key === key)?.Value;
  const taggedAgent = tag(AGENT_SECRET_TAG_KEYS.agentId);
  if (taggedAgent !== agentId) {
    return `secret ${secretArn} is tagged ${AGENT_SECRET_TAG_KEYS.agentId}=${taggedAgent ?? '(none)'}, not ${agentId}`;
  }
  const taggedEnvironment = tag(AGENT_SECRET_TAG_KEYS.environment);
  if (taggedEnvironment !== environment) {
    return `secret ${secretArn} is tagged ${AGENT_SECRET_TAG_KEYS.environment}=${taggedEnvironment ?? '(none)'}, not ${environment}`;
  }
  return undefined;
}
