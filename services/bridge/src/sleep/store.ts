import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Level, WakePolicy } from '@ocf/events';
import type { ActivityRecord, WakeNeed } from './decide.ts';

/** Times the store keeps per agent; each is only ever moved forward. */
export type StampField =
  | 'lastAddressedAt'
  | 'lastSpokeAt'
  | 'sleepRequestedAt'
  | 'wakeRequestedAt'
  | 'hiredAt'
  | 'retiredAt'
  | 'budgetSpentAt'
  | 'budgetChangedAt';

/** A field left out is unchanged; `null` goes back to the fleet's default. */
export interface PolicyFields {
  readonly level?: Level;
  readonly wakePolicy?: WakePolicy | null;
  readonly idleTimeoutSeconds?: number | null;
  readonly at: string;
}

/**
 * The scheduler's memory (ADR 0018): one item per agent, each field written on its own with a
 * "newer wins" condition, so the activity flush, the event handlers and the decision loop (and a
 * second bridge instance) never overwrite each other's facts. In the bridge's table, under one
 * partition: the scheduler loads it once at start with a paged Query, then reads single agents
 * before it acts on them and one page at a time for its resync (ADR 0030).
 */
export interface ActivityStore {
  /** Every record (all pages): tests and tools; the scheduler reads `page` by `page`. */
  list(): Promise<ActivityRecord[]>;
  /** Up to `limit` records after `after` (an agent id), in agent-id order; `next` if there are more. */
  page(after: string | undefined, limit: number): Promise<ActivityPage>;
  /** One agent's record as written (a strongly consistent read), if it has one. */
  get(agentId: string): Promise<ActivityRecord | undefined>;
  /** Sets `field` to `at` unless it holds a time at least as new. */
  stamp(agentId: string, field: StampField, at: string): Promise<void>;
  setState(
    agentId: string,
    state: { readonly value: 'starting' | 'awake' | 'asleep'; readonly at: string },
  ): Promise<void>;
  setPolicy(agentId: string, policy: PolicyFields): Promise<void>;
  /** Keeps the first waiting wake: later messages are answered by the same wake. */
  addPendingWake(agentId: string, wake: WakeNeed): Promise<void>;
  /** Removes the waiting wake if it is the one seen at `seenAt` (or older). */
  clearPendingWake(agentId: string, seenAt: string): Promise<void>;
  /** Adds a room to the agent's direct chats (a set: adding one twice keeps one). */
  addDirectRoom(agentId: string, roomId: string): Promise<void>;
}

export interface ActivityPage {
  readonly records: ActivityRecord[];
  /** The last agent id of this page, when more may follow. */
  readonly next?: string | undefined;
}

export function createMemoryActivityStore(): ActivityStore & {
  readonly records: Map<string, ActivityRecord>;
} {
  const records = new Map<string, ActivityRecord>();
  const get = (agentId: string): ActivityRecord => records.get(agentId) ?? { agentId };
  const put = (record: ActivityRecord): Promise<void> => {
    records.set(record.agentId, record);
    return Promise.resolve();
  };
  return {
    records,
    list: () => Promise.resolve([...records.values()].map((r) => structuredClone(r))),
    page(after, limit) {
      const ids = [...records.keys()].sort().filter((id) => after === undefined || id > after);
      const taken = ids.slice(0, limit);
      return Promise.resolve({
        records: taken.map((id) => structuredClone(records.get(id) as ActivityRecord)),
        ...(ids.length > limit ? { next: taken.at(-1) } : {}),
      });
    },
    get(agentId) {
      const record = records.get(agentId);
      return Promise.resolve(record === undefined ? undefined : structuredClone(record));
    },
    stamp(agentId, field, at) {
      const record = get(agentId);
      const current = record[field];
      return current !== undefined && current >= at ? Promise.resolve() : put({ ...record, [field]: at });
    },
    setState(agentId, state) {
      const record = get(agentId);
      if (record.state !== undefined && record.state.at >= state.at) return Promise.resolve();
      return put({ ...record, state: { ...state } });
    },
    setPolicy(agentId, policy) {
      const record = get(agentId);
      if (record.policyAt !== undefined && record.policyAt >= policy.at) return Promise.resolve();
      const { wakePolicy, idleTimeoutSeconds, ...rest } = record;
      const keep = <T>(given: T | null | undefined, current: T | undefined): T | undefined =>
        given === null ? undefined : (given ?? current);
      const next: ActivityRecord = {
        ...rest,
        policyAt: policy.at,
        level: policy.level ?? record.level,
        wakePolicy: keep(policy.wakePolicy, wakePolicy),
        idleTimeoutSeconds: keep(policy.idleTimeoutSeconds, idleTimeoutSeconds),
      };
      return put(next);
    },
    addPendingWake(agentId, wake) {
      const record = get(agentId);
      return record.pendingWake !== undefined
        ? Promise.resolve()
        : put({ ...record, pendingWake: { ...wake } });
    },
    clearPendingWake(agentId, seenAt) {
      const record = get(agentId);
      if (record.pendingWake === undefined || record.pendingWake.seenAt > seenAt) return Promise.resolve();
      const { pendingWake: _cleared, ...rest } = record;
      return put(rest);
    },
    addDirectRoom(agentId, roomId) {
      const record = get(agentId);
      const rooms = record.directRooms ?? [];
      return rooms.includes(roomId) ? Promise.resolve() : put({ ...record, directRooms: [...rooms, roomId] });
    },
  };
}

const PARTITION = 'activity';

function recordOf(item: Record<string, unknown>): ActivityRecord {
  const { pk: _pk, sk, directRooms, ...fields } = item;
  return {
    ...(fields as Omit<ActivityRecord, 'agentId'>),
    // A DynamoDB string set, which the document client reads as a JS Set.
    ...(directRooms instanceof Set ? { directRooms: [...(directRooms as Set<string>)].sort() } : {}),
    agentId: String(sk),
  };
}

export function createDynamoActivityStore(client: DynamoDBClient, tableName: string): ActivityStore {
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const key = (agentId: string) => ({ pk: PARTITION, sk: agentId });

  async function conditionally(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async function page(after: string | undefined, limit: number): Promise<ActivityPage> {
    const read = await documents.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PARTITION },
        ConsistentRead: true,
        Limit: limit,
        ...(after === undefined ? {} : { ExclusiveStartKey: key(after) }),
      }),
    );
    const next: unknown = read.LastEvaluatedKey?.['sk'];
    return {
      records: (read.Items ?? []).map(recordOf),
      ...(typeof next === 'string' ? { next } : {}),
    };
  }

  return {
    async list() {
      const records: ActivityRecord[] = [];
      let after: string | undefined;
      do {
        const read = await page(after, 1_000);
        records.push(...read.records);
        after = read.next;
      } while (after !== undefined);
      return records;
    },

    page,

    async get(agentId) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: key(agentId), ConsistentRead: true }),
      );
      return Item === undefined ? undefined : recordOf(Item);
    },

    stamp: (agentId, field, at) =>
      conditionally(() =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(agentId),
            UpdateExpression: 'SET #f = :at',
            ConditionExpression: 'attribute_not_exists(#f) OR #f < :at',
            ExpressionAttributeNames: { '#f': field },
            ExpressionAttributeValues: { ':at': at },
          }),
        ),
      ),

    setState: (agentId, state) =>
      conditionally(() =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(agentId),
            UpdateExpression: 'SET #s = :s',
            ConditionExpression: 'attribute_not_exists(#s) OR #s.#at < :at',
            ExpressionAttributeNames: { '#s': 'state', '#at': 'at' },
            ExpressionAttributeValues: { ':s': state, ':at': state.at },
          }),
        ),
      ),

    setPolicy: (agentId, policy) => {
      const sets = ['policyAt = :at'];
      const removes: string[] = [];
      const values: Record<string, unknown> = { ':at': policy.at };
      if (policy.level !== undefined) {
        sets.push('#level = :level');
        values[':level'] = policy.level;
      }
      for (const field of ['wakePolicy', 'idleTimeoutSeconds'] as const) {
        const value = policy[field];
        if (value === null) removes.push(field);
        else if (value !== undefined) {
          sets.push(`${field} = :${field}`);
          values[`:${field}`] = value;
        }
      }
      return conditionally(() =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(agentId),
            UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: 'attribute_not_exists(policyAt) OR policyAt < :at',
            ...(policy.level === undefined ? {} : { ExpressionAttributeNames: { '#level': 'level' } }),
            ExpressionAttributeValues: values,
          }),
        ),
      );
    },

    addPendingWake: (agentId, wake) =>
      conditionally(() =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(agentId),
            UpdateExpression: 'SET pendingWake = :w',
            ConditionExpression: 'attribute_not_exists(pendingWake)',
            ExpressionAttributeValues: { ':w': wake },
          }),
        ),
      ),

    addDirectRoom: async (agentId, roomId) => {
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key(agentId),
          UpdateExpression: 'ADD directRooms :room',
          ExpressionAttributeValues: { ':room': new Set([roomId]) },
        }),
      );
    },

    clearPendingWake: (agentId, seenAt) =>
      conditionally(() =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(agentId),
            UpdateExpression: 'REMOVE pendingWake',
            ConditionExpression: 'attribute_exists(pendingWake) AND pendingWake.seenAt <= :seen',
            ExpressionAttributeValues: { ':seen': seenAt },
          }),
        ),
      ),
  };
}
