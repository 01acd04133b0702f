import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

/** A record written whole, every write conditional on the version it was read at. */
export interface Versioned {
  /** 1 for the first write, bumped by one on every write after it. */
  readonly version: number;
}

/**
 * Records kept one per key and written with compare-and-set: `write(next)` succeeds only if the
 * stored version is still `next.version - 1` (for `version: 1`, only if nothing is stored), so
 * two writers never overwrite each other's decisions; the loser reads again and decides again.
 */
export interface VersionedRecords<R extends Versioned> {
  readonly get: (key: string) => Promise<R | undefined>;
  readonly write: (next: R) => Promise<'written' | 'conflict'>;
}

export interface DynamoVersionedRecordsOptions<R> {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The table's partition key attribute, which the record itself carries. */
  readonly keyAttribute: string;
  /** Extra attributes for the item (index keys); they are dropped again by `fromItem`. */
  readonly toItem?: (record: R) => Record<string, unknown>;
  readonly fromItem?: (item: Record<string, unknown>) => R;
}

/** VersionedRecords in DynamoDB: one item per record, conditional `PutItem`, consistent reads. */
export function createDynamoVersionedRecords<R extends Versioned>(
  options: DynamoVersionedRecordsOptions<R>,
): VersionedRecords<R> & { readonly documents: DynamoDBDocumentClient } {
  const { tableName, keyAttribute } = options;
  const documents = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  const toItem = options.toItem ?? ((record: R) => ({ ...record }));
  const fromItem = options.fromItem ?? ((item: Record<string, unknown>) => item as unknown as R);
  return {
    documents,
    async get(key) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: { [keyAttribute]: key }, ConsistentRead: true }),
      );
      return Item === undefined ? undefined : fromItem(Item);
    },
    async write(next) {
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: toItem(next),
            ...(next.version <= 1
              ? {
                  ConditionExpression: 'attribute_not_exists(#key)',
                  ExpressionAttributeNames: { '#key': keyAttribute },
                }
              : {
                  ConditionExpression: '#version = :previous',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':previous': next.version - 1 },
                }),
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

/** VersionedRecords in a Map, with DynamoDB's conditions and copies in and out: for unit tests. */
export function createMemoryVersionedRecords<R extends Versioned>(
  keyOf: (record: R) => string,
): VersionedRecords<R> & { readonly records: Map<string, R> } {
  const records = new Map<string, R>();
  return {
    records,
    get: (key) => Promise.resolve(structuredClone(records.get(key))),
    write(next) {
      const key = keyOf(next);
      const stored = records.get(key);
      const fits = next.version <= 1 ? stored === undefined : stored?.version === next.version - 1;
      if (!fits) return Promise.resolve('conflict');
      records.set(key, structuredClone(next));
      return Promise.resolve('written');
    },
  };
}
