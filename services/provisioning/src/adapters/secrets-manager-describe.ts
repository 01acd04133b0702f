import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TransientError } from '@ocf/errors';
import { createAgentSecretCheck, type AgentSecretCheck, type DescribeSecret } from '../secret-check.ts';

/** Errors that mean "this service will never see such a secret", not "try again". */
const ABSENT = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'InvalidParameterException']);

/**
 * DescribeSecret for the secret check: metadata only (name, ARN, tags), never the value, so
 * provisioning's role needs `secretsmanager:DescribeSecret` on the fleet's agent secrets and
 * nothing that reads them.
 */
export function createSecretsManagerDescribe(client: SecretsManagerClient): DescribeSecret {
  return async (secretArn, call) => {
    try {
      const answer = await client.send(
        new DescribeSecretCommand({ SecretId: secretArn }),
        call?.signal === undefined ? {} : { abortSignal: call.signal },
      );
      return { arn: answer.ARN, name: answer.Name, tags: answer.Tags ?? [] };
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      if (typeof name === 'string' && ABSENT.has(name)) return undefined;
      throw new TransientError(
        'SECRET_DESCRIBE_FAILED',
        `DescribeSecret ${secretArn} failed: ${typeof name === 'string' ? name : 'Error'}`,
        error,
      );
    }
  };
}

/** The secret check as provisioning runs it: Secrets Manager (AWS, or the emulator through AWS_ENDPOINT_URL). */
export function createSecretsManagerAgentSecretCheck(environment: string): AgentSecretCheck {
  return createAgentSecretCheck({
    environment,
    describe: createSecretsManagerDescribe(new SecretsManagerClient({})),
  });
}
