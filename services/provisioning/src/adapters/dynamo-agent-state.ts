import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { scanPage } from '@ocf/runtime';
import type { AgentRecord } from '../domain/agent-record.ts';
import type { AgentStateStore } from '../ports.ts';

/**
 * Provisioning's records in DynamoDB, one item per agent, one attribute per fact. A fact is
 * written with a condition (absent, or older than this one), so two deliveries racing, or an old
 * event arriving late, can never put an older fact over a newer one; different facts never
 * contend, because each update touches its own attribute.
 */
export function createDynamoAgentStateStore(client: DynamoDBClient, tableName: string): AgentStateStore {
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });

  async function set(agentId: string, attribute: string, value: unknown): Promise<void> {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { agentId },
        ...(value === undefined
          ? { UpdateExpression: 'REMOVE #a', ExpressionAttributeNames: { '#a': attribute } }
          : {
              UpdateExpression: 'SET #a = :v',
              ExpressionAttributeNames: { '#a': attribute },
              ExpressionAttributeValues: { ':v': value },
            }),
      }),
    );
  }

  return {
    async get(agentId) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: { agentId }, ConsistentRead: true }),
      );
      return Item as AgentRecord | undefined;
    },

    page: (cursor, limit) => scanPage<AgentRecord>(documents, tableName, cursor, limit),

    async recordFact(agentId, key, value) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { agentId },
            UpdateExpression: 'SET #fact = :fact',
            ConditionExpression: 'attribute_not_exists(#fact) OR #fact.#at < :at',
            ExpressionAttributeNames: { '#fact': key, '#at': 'at' },
            ExpressionAttributeValues: { ':fact': value, ':at': value.at },
          }),
        );
        return 'recorded';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'stale';
        throw error;
      }
    },

    setLaunch: (agentId, launch) => set(agentId, 'launch', launch),
    setLaunchFailure: (agentId, failure) => set(agentId, 'launchFailure', failure),
    setRetirement: (agentId, retirement) => set(agentId, 'retirement', retirement),
    setAsleep: (agentId, asleep) => set(agentId, 'asleep', asleep),
  };
}
