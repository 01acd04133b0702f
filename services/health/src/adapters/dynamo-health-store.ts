import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoVersionedRecords, scanPage } from '@ocf/runtime';
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
    page: (cursor, limit) => scanPage<HealthRecord>(documents, tableName, cursor, limit),
  };
}
