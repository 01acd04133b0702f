import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SweepPage } from './paced-sweep.ts';

/** Where a DynamoDB Scan page ends: its `LastEvaluatedKey`, handed back as the next start. */
export type ScanCursor = Record<string, unknown>;

/**
 * One page of a consistent Scan of a whole table: the read a paced sweep makes per tick
 * (health's and provisioning's resyncs). At most `limit` items, from `cursor` (undefined: the start).
 */
export async function scanPage<T>(
  documents: DynamoDBDocumentClient,
  tableName: string,
  cursor: unknown,
  limit: number,
): Promise<SweepPage<T, ScanCursor>> {
  const page = await documents.send(
    new ScanCommand({
      TableName: tableName,
      ConsistentRead: true,
      Limit: limit,
      ExclusiveStartKey: cursor as ScanCursor | undefined,
    }),
  );
  return { items: (page.Items ?? []) as T[], next: page.LastEvaluatedKey };
}
