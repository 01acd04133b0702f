import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AGENT_SECRET_TAG_KEYS, agentSecretName } from '@ocf/secrets';

/**
 * Creates an agent's secret on the emulator as the credentials service names and tags it (value
 * irrelevant here), and returns its ARN: for tests that play the credentials service's part.
 */
export async function createAgentSecret(
  environment: string,
  agentId: string,
  client = new SecretsManagerClient({}),
): Promise<string> {
  const answer = await client.send(
    new CreateSecretCommand({
      Name: agentSecretName(environment, agentId),
      SecretString: '{}',
      Tags: [
        { Key: AGENT_SECRET_TAG_KEYS.agentId, Value: agentId },
        { Key: AGENT_SECRET_TAG_KEYS.environment, Value: environment },
        { Key: AGENT_SECRET_TAG_KEYS.managedBy, Value: 'tests' },
      ],
    }),
  );
  if (answer.ARN === undefined) throw new Error(`CreateSecret ${agentId} answered without an ARN`);
  return answer.ARN;
}
