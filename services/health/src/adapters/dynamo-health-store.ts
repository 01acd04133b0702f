import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoVersionedRecords } from '@ocf/runtime';
import type { HealthRecord } from '../domain/projection.ts';
import type { HealthStore } from '../ports.ts';

/**
 * Health records in DynamoDB, one item per agent, written whole with a version condition (the
 * shared VersionedRecords): the monitor and the event handlers (and, during a deployment, a
 * second instance) never overwrite each other's decisions; the loser reads again and decides again.
 */
export function createDynamoHealthStore(client: DynamoDBClient, tableName: string): HealthStore {
  const records = createDynamoVersionedRecords<HealthRecord>({ client, tableName, keyAttribute: 'agentId' });
  const { documents } = records;
  return {
    get: records.get,
    write: records.write,
    async page(cursor, limit) {
      const page = await documents.send(
        new ScanCommand({
          TableName: tableName,
          ConsistentRead: true,
          Limit: limit,
          ExclusiveStartKey: cursor as Record<string, unknown> | undefined,
        }),
      );
      return { items: (page.Items ?? []) as HealthRecord[], next: page.LastEvaluatedKey };
    },
  };
}
