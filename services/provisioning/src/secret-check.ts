import { ValidationError } from '@ocf/errors';
import { foreignSecretArnReason, foreignSecretDescriptionReason, type DescribedSecret } from '@ocf/secrets';
import type { Call } from './ports.ts';

/**
 * Says whether a secret ARN an event carries is the agent's own secret, before provisioning
 * records it for the agent's task. A CredentialsIssued that names another agent's secret (a
 * forged event, a bug) must never launch this agent with it (issue 11, 1c).
 */
export interface AgentSecretCheck {
  /**
   * Resolves when `secretArn` is `agentId`'s secret by name and by Secrets Manager's own
   * description (name, ARN, tags). Throws ForeignSecretError (never retryable: the message goes
   * to the DLQ with the reason) when it is not, TransientError when Secrets Manager cannot say now.
   */
  assertOwn(agentId: string, secretArn: string, call?: Call): Promise<void>;
}

/** The secret an event names is not the agent's own. */
export class ForeignSecretError extends ValidationError {
  constructor(message: string) {
    super(message, { field: 'data.secretArn', code: 'AGENT_SECRET_MISMATCH' });
  }
}

/**
 * Looks a secret up by ARN: what DescribeSecret answers, or `undefined` when there is no such
 * secret (or this service may not see it, which for ownership means the same). Transient
 * failures throw.
 */
export type DescribeSecret = (secretArn: string, call?: Call) => Promise<DescribedSecret | undefined>;

export function createAgentSecretCheck(deps: {
  readonly environment: string;
  readonly describe: DescribeSecret;
}): AgentSecretCheck {
  return {
    async assertOwn(agentId, secretArn, call) {
      // The name first: pure, and a forged ARN never costs a Secrets Manager call.
      const byName = foreignSecretArnReason(secretArn, deps.environment, agentId);
      if (byName !== undefined) throw new ForeignSecretError(byName);
      const described = await deps.describe(secretArn, call);
      if (described === undefined) {
        throw new ForeignSecretError(
          `secretArn ${secretArn}: no such secret (or not visible to provisioning)`,
        );
      }
      const byDescription = foreignSecretDescriptionReason(secretArn, described, deps.environment, agentId);
      if (byDescription !== undefined) throw new ForeignSecretError(byDescription);
    },
  };
}
