import { AGENT_SECRET_TAG_KEYS, secretNameOfArn } from '@ocf/secrets';
import { createAgentSecretCheck, type AgentSecretCheck } from '../../src/secret-check.ts';

/**
 * A secret check over a Secrets Manager that holds, for every well-formed ARN, the secret its
 * name says, tagged as credentials tags it: the name check is the real one, the description
 * always agrees. For tests about something else than forged ARNs.
 */
export function nameTrustingSecretCheck(environment: string): AgentSecretCheck {
  return createAgentSecretCheck({
    environment,
    describe: (secretArn) => {
      const name = secretNameOfArn(secretArn);
      const agentId = name?.split('/').at(-1);
      return Promise.resolve({
        arn: secretArn,
        name,
        tags: [
          { Key: AGENT_SECRET_TAG_KEYS.agentId, Value: agentId },
          { Key: AGENT_SECRET_TAG_KEYS.environment, Value: environment },
        ],
      });
    },
  });
}
