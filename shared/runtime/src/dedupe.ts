import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { backoffDelayMs, sleep } from './backoff.ts';
import { createCallBatcher, DEFAULT_BATCH_LINGER_MS } from './call-batcher.ts';

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
  claim(key: string, leaseMs: number, owner?: string): Promise<'claimed' | 'completed' | 'in-progress'>;
  /**
   * Pushes a live claim's lease to now + `leaseMs`. False when the claim is no longer `owner`'s
   * (its lease ran out and another worker took it, or it was completed): stop working on it.
   */
  renew(key: string, owner: string, leaseMs: number): Promise<boolean>;
  complete(key: string): Promise<void>;
  /** Gives a claim back after a failure so the next delivery can try; only `owner`'s, if given. */
  release(key: string, owner?: string): Promise<void>;
}

export interface DynamoDedupeStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long a completed key is remembered (DynamoDB TTL deletes it later). */
  readonly retentionMs?: number;
  readonly now?: () => number;
  /** How long a completion waits for others to share one BatchWriteItem (call-batcher.ts). */
  readonly batchLingerMs?: number;
}

/** BatchWriteItem's own limit. */
const MAX_BATCH_WRITE = 25;
/** Tries of the items DynamoDB leaves unprocessed (throttling) before their callers get an error. */
const UNPROCESSED_TRIES = 4;

/** Item shape: { pk, status, owner, leaseUntil (ms), expiresAt (s, the table's TTL attribute) }. */
export function createDynamoDedupeStore(options: DynamoDedupeStoreOptions): DedupeStore {
  const { client, tableName } = options;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600 * 1000;
  const now = options.now ?? Date.now;

  // A completion is a plain overwrite (no condition: the claim is ours), so completions made close
  // together can share a BatchWriteItem. The item keeps what claim() reads: pk and status.
  const recordCompleted = createCallBatcher<string>({
    maxBatchSize: MAX_BATCH_WRITE,
    lingerMs: options.batchLingerMs ?? DEFAULT_BATCH_LINGER_MS,
    run: async (keys) => {
      // One request may not name a key twice; a key asked twice is written once for both.
      const expiresAt = { N: String(Math.ceil((now() + retentionMs) / 1000)) };
      let unwritten = [...new Set(keys)];
      for (let attempt = 1; unwritten.length > 0 && attempt <= UNPROCESSED_TRIES; attempt++) {
        if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, { baseMs: 50, maxMs: 1_000 }));
        const { UnprocessedItems } = await client.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [tableName]: unwritten.map((key) => ({
                PutRequest: { Item: { pk: { S: key }, status: { S: 'completed' }, expiresAt } },
              })),
            },
          }),
        );
        unwritten = (UnprocessedItems?.[tableName] ?? []).flatMap((request) => {
          const key = request.PutRequest?.Item?.['pk']?.S;
          return key === undefined ? [] : [key];
        });
      }
      const failed = new Set(unwritten);
      return keys.map((key) =>
        failed.has(key)
          ? new Error(`completion of ${key} not written: DynamoDB left it unprocessed`)
          : undefined,
      );
    },
  });

  return {
    async claim(key, leaseMs, owner = 'anonymous') {
      const at = now();
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: key },
              status: { S: 'in-progress' },
              owner: { S: owner },
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

    async renew(key, owner, leaseMs) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: key } },
            UpdateExpression: 'SET leaseUntil = :until',
            ConditionExpression: '#status = :inProgress AND #owner = :owner',
            ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':until': { N: String(now() + leaseMs) },
              ':inProgress': { S: 'in-progress' },
              ':owner': { S: owner },
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    complete: (key) => recordCompleted(key),

    async release(key, owner) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: { pk: { S: key } },
            // Never hand back a claim another worker took over from us.
            ConditionExpression:
              owner === undefined ? '#status = :inProgress' : '#status = :inProgress AND #owner = :owner',
            ExpressionAttributeNames:
              owner === undefined ? { '#status': 'status' } : { '#status': 'status', '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':inProgress': { S: 'in-progress' },
              ...(owner === undefined ? {} : { ':owner': { S: owner } }),
            },
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
): DedupeStore & { readonly entries: Map<string, MemoryDedupeEntry> } {
  const entries = new Map<string, MemoryDedupeEntry>();
  return {
    entries,
    claim(key, leaseMs, owner = 'anonymous') {
      const existing = entries.get(key);
      if (existing?.status === 'completed') return Promise.resolve('completed');
      if (existing !== undefined && existing.leaseUntil >= now()) return Promise.resolve('in-progress');
      entries.set(key, { status: 'in-progress', owner, leaseUntil: now() + leaseMs });
      return Promise.resolve('claimed');
    },
    renew(key, owner, leaseMs) {
      const existing = entries.get(key);
      if (existing?.status !== 'in-progress' || existing.owner !== owner) return Promise.resolve(false);
      existing.leaseUntil = now() + leaseMs;
      return Promise.resolve(true);
    },
    complete(key) {
      entries.set(key, { status: 'completed', owner: '', leaseUntil: 0 });
      return Promise.resolve();
    },
    release(key, owner) {
      const existing = entries.get(key);
      if (existing?.status === 'in-progress' && (owner === undefined || existing.owner === owner))
        entries.delete(key);
      return Promise.resolve();
    },
  };
}

export interface MemoryDedupeEntry {
  status: 'in-progress' | 'completed';
  owner: string;
  leaseUntil: number;
}
