import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { HealthRecord } from '../domain/projection.ts';
import type { HealthStore } from '../ports.ts';

/**
 * Health records in DynamoDB, one item per agent, written whole with a version condition: the
 * monitor and the event handlers (and, during a deployment, a second instance) never overwrite
 * each other's decisions; the loser reads again and decides again.
 */
export function createDynamoHealthStore(client: DynamoDBClient, tableName: string): HealthStore {
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  return {
    async get(agentId) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: { agentId }, ConsistentRead: true }),
      );
      return Item as HealthRecord | undefined;
    },
    async list() {
      const records: HealthRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
        );
        records.push(...((page.Items ?? []) as HealthRecord[]));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return records;
    },
    async put(record) {
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...record, version: record.version + 1 },
            ConditionExpression: 'attribute_not_exists(agentId) OR #version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': record.version },
          }),
        );
        return 'written';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'conflict';
        throw error;
      }
    },
  };
}
