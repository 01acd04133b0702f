import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/**
 * Remembers which events a consumer has handled, so a redelivered event runs its side effects
 * once. A claim is a lease: if the worker dies mid-handler the lease runs out and another
 * delivery may take over. That is why handlers still guard each side effect with a business key
 * (a clientToken, a conditional write): dedupe makes repeats rare, business keys make them harmless.
 */
export interface DedupeStore {
  /**
   * `claimed`: go ahead. `completed`: handled before, skip it. `in-progress`: another worker
   * holds a live lease; try again later.
   */
  claim(key: string, leaseMs: number): Promise<'claimed' | 'completed' | 'in-progress'>;
  complete(key: string): Promise<void>;
  /** Gives a claim back after a failure so the next delivery can try. */
  release(key: string): Promise<void>;
}

export interface DynamoDedupeStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long a completed key is remembered (DynamoDB TTL deletes it later). */
  readonly retentionMs?: number;
  readonly now?: () => number;
}

/** Item shape: { pk, status, leaseUntil (ms), expiresAt (s, the table's TTL attribute) }. */
export function createDynamoDedupeStore(options: DynamoDedupeStoreOptions): DedupeStore {
  const { client, tableName } = options;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600 * 1000;
  const now = options.now ?? Date.now;

  return {
    async claim(key, leaseMs) {
      const at = now();
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: key },
              status: { S: 'in-progress' },
              leaseUntil: { N: String(at + leaseMs) },
              expiresAt: { N: String(Math.ceil((at + retentionMs) / 1000)) },
            },
            // New key, or a lease that ran out (its worker died): take it.
            ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND leaseUntil < :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':inProgress': { S: 'in-progress' }, ':now': { N: String(at) } },
          }),
        );
        return 'claimed';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const existing = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: key } }, ConsistentRead: true }),
      );
      return existing.Item?.['status']?.S === 'completed' ? 'completed' : 'in-progress';
    },

    async complete(key) {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: key } },
          UpdateExpression: 'SET #status = :completed, expiresAt = :expiresAt REMOVE leaseUntil',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':completed': { S: 'completed' },
            ':expiresAt': { N: String(Math.ceil((now() + retentionMs) / 1000)) },
          },
        }),
      );
    },

    async release(key) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: { pk: { S: key } },
            ConditionExpression: '#status = :inProgress',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':inProgress': { S: 'in-progress' } },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}

/** For unit tests: the same lease semantics in a Map. */
export function createMemoryDedupeStore(
  now: () => number = Date.now,
): DedupeStore & { readonly entries: Map<string, { status: string; leaseUntil: number }> } {
  const entries = new Map<string, { status: string; leaseUntil: number }>();
  return {
    entries,
    claim(key, leaseMs) {
      const existing = entries.get(key);
      if (existing?.status === 'completed') return Promise.resolve('completed');
      if (existing !== undefined && existing.leaseUntil >= now()) return Promise.resolve('in-progress');
      entries.set(key, { status: 'in-progress', leaseUntil: now() + leaseMs });
      return Promise.resolve('claimed');
    },
    complete(key) {
      entries.set(key, { status: 'completed', leaseUntil: 0 });
      return Promise.resolve();
    },
    release(key) {
      if (entries.get(key)?.status === 'in-progress') entries.delete(key);
      return Promise.resolve();
    },
  };
}
