import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AgentRecord } from '../domain/agent-record.ts';
import type { BridgeStore, ParkedAgent, RoomStay } from '../ports.ts';

/**
 * The BridgeStore in the `bridge` table (shared/routing), keys `pk`/`sk`:
 *
 * | pk               | sk                | holds                                        |
 * | ---------------- | ----------------- | -------------------------------------------- |
 * | `agent#<id>`     | `record`          | the agent's record and its version           |
 * | `agent#<id>`     | `stay#<room key>` | one room the bridge put the agent in         |
 * | `agent#<id>`     | `lock`            | who acts for the agent, until when           |
 * | `parked`         | `<agent id>`      | agents the sweeper has to finish             |
 *
 * An agent's items share a partition, so its stays come back with one Query. Parked agents share
 * one partition too: there are few of them, and only during an outage.
 */
export function createDynamoBridgeStore(client: DynamoDBClient, tableName: string): BridgeStore {
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const agentKey = (agentId: string) => `agent#${agentId}`;
  const PARKED = 'parked';

  /** Runs a conditional write; false when its condition did not hold. */
  async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  return {
    async getAgent(agentId) {
      const { Item } = await documents.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: agentKey(agentId), sk: 'record' },
          ConsistentRead: true,
        }),
      );
      if (Item === undefined) return undefined;
      return { record: Item['record'] as AgentRecord, version: Item['version'] as number };
    },

    async putAgent(record, expectedVersion) {
      const written = await conditionally(() =>
        documents.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: agentKey(record.agentId), sk: 'record', record, version: (expectedVersion ?? 0) + 1 },
            ...(expectedVersion === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: 'version = :expected',
                  ExpressionAttributeValues: { ':expected': expectedVersion },
                }),
          }),
        ),
      );
      return written ? 'written' : 'conflict';
    },

    async stays(agentId) {
      const stays: RoomStay[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :stay)',
            ExpressionAttributeValues: { ':pk': agentKey(agentId), ':stay': 'stay#' },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) stays.push(item['stay'] as RoomStay);
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return stays;
    },

    async putStay(agentId, stay) {
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: agentKey(agentId), sk: `stay#${stay.roomKey}`, stay },
        }),
      );
    },

    async deleteStay(agentId, roomKey) {
      await documents.send(
        new DeleteCommand({ TableName: tableName, Key: { pk: agentKey(agentId), sk: `stay#${roomKey}` } }),
      );
    },

    acquireLock: (agentId, owner, leaseMs) => {
      const now = Date.now();
      return conditionally(() =>
        documents.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: agentKey(agentId), sk: 'lock', owner, leaseUntil: now + leaseMs },
            ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR #owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':now': now, ':owner': owner },
          }),
        ),
      );
    },

    renewLock: (agentId, owner, leaseMs) =>
      conditionally(() =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: agentKey(agentId), sk: 'lock' },
            UpdateExpression: 'SET leaseUntil = :until',
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':until': Date.now() + leaseMs, ':owner': owner },
          }),
        ),
      ),

    async releaseLock(agentId, owner) {
      await conditionally(() =>
        documents.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { pk: agentKey(agentId), sk: 'lock' },
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        ),
      );
    },

    async park(parked) {
      await documents.send(
        new PutCommand({ TableName: tableName, Item: { pk: PARKED, sk: parked.agentId, parked } }),
      );
    },

    async parked(limit) {
      const { Items } = await documents.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': PARKED },
          Limit: limit,
        }),
      );
      return (Items ?? []).map((item) => item['parked'] as ParkedAgent);
    },

    async unpark(agentId, parkedAt) {
      await conditionally(() =>
        documents.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { pk: PARKED, sk: agentId },
            ConditionExpression: 'parked.parkedAt = :parkedAt',
            ExpressionAttributeValues: { ':parkedAt': parkedAt },
          }),
        ),
      );
    },
  };
}
