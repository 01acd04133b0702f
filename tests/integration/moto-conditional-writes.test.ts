/**
 * Every compare-and-set of the fleet (the directory's records, provisioning's and health's state,
 * the consumers' dedupe leases) relies on DynamoDB checking a write's condition and writing in one
 * step. moto's threaded server did not (check, then write, with no lock), so two writers at once
 * could both win; moto_launcher.py serialises DynamoDB writes. This races many conditional writes
 * at the emulator the tests use and counts the winners.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';

const KEYS = 40;
const WRITERS = 12;

describe('conditional writes on the emulator', () => {
  const { dynamodb } = awsClients();
  const table = `${uniqueEnvironment('cas')}-items`;

  before(async () => {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });

  after(async () => {
    await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  });

  /** Resolves true for a write that went through, false for one its condition refused. */
  const won = (write: Promise<unknown>): Promise<boolean> =>
    write.then(
      () => true,
      (error: unknown) => {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      },
    );

  it('lets exactly one of many simultaneous creates of one item win', async () => {
    const winners = await Promise.all(
      Array.from({ length: KEYS }, async (_, key) => {
        const results = await Promise.all(
          Array.from({ length: WRITERS }, (_, writer) =>
            won(
              dynamodb.send(
                new PutItemCommand({
                  TableName: table,
                  Item: { pk: { S: `create-${key}` }, writer: { N: String(writer) } },
                  ConditionExpression: 'attribute_not_exists(pk)',
                }),
              ),
            ),
          ),
        );
        return results.filter(Boolean).length;
      }),
    );
    assert.deepEqual(
      winners,
      winners.map(() => 1),
    );
  });

  it('lets exactly one of many simultaneous compare-and-sets from one version win', async () => {
    const winners = await Promise.all(
      Array.from({ length: KEYS }, async (_, key) => {
        const pk = { S: `cas-${key}` };
        await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk, version: { N: '1' } } }));
        const results = await Promise.all(
          Array.from({ length: WRITERS }, () =>
            won(
              dynamodb.send(
                new UpdateItemCommand({
                  TableName: table,
                  Key: { pk },
                  UpdateExpression: 'SET version = :next',
                  ConditionExpression: 'version = :seen',
                  ExpressionAttributeValues: { ':seen': { N: '1' }, ':next': { N: '2' } },
                }),
              ),
            ),
          ),
        );
        return results.filter(Boolean).length;
      }),
    );
    assert.deepEqual(
      winners,
      winners.map(() => 1),
    );
  });
});
