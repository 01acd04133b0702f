import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchWriteItemCommand, type BatchWriteItemCommandInput } from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type DeleteMessageBatchCommandInput,
  type Message,
} from '@aws-sdk/client-sqs';
import { createEvent, toDetail } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import {
  createCallBatcher,
  createDynamoDedupeStore,
  createMemoryDedupeStore,
  createQueueConsumer,
  type Outcome,
} from '../src/index.ts';

describe('the call batcher', () => {
  it('makes one batch call for calls made within the linger, and gives each caller its own outcome', async () => {
    const batches: string[][] = [];
    const call = createCallBatcher<string>({
      maxBatchSize: 10,
      lingerMs: 20,
      run: (items) => {
        batches.push([...items]);
        return Promise.resolve(items.map((item) => (item === 'bad' ? new Error(`no ${item}`) : undefined)));
      },
    });
    const outcomes = await Promise.allSettled([call('a'), call('bad'), call('c')]);
    assert.deepEqual(batches, [['a', 'bad', 'c']]);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as Error).message)),
      ['ok', 'no bad', 'ok'],
    );
  });

  it('splits at the batch size and fails every caller of a batch whose call failed', async () => {
    const sizes: number[] = [];
    const call = createCallBatcher<number>({
      maxBatchSize: 2,
      lingerMs: 5,
      run: (items) => {
        sizes.push(items.length);
        return items.includes(5)
          ? Promise.reject(new Error('throttled'))
          : Promise.resolve(items.map(() => undefined));
      },
    });
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => call(n)));
    assert.deepEqual(sizes, [2, 2, 1]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected'],
    );
  });
});

/** A DynamoDB client that answers BatchWriteItem, leaving unprocessed what `unprocessed` says. */
function fakeDynamo(unprocessed: (key: string, attempt: number) => boolean) {
  const requests: string[][] = [];
  return {
    requests,
    client: {
      send(command: unknown): Promise<unknown> {
        assert.ok(command instanceof BatchWriteItemCommand, 'only completions are written here');
        const input: BatchWriteItemCommandInput = command.input;
        const puts = input.RequestItems?.['dedupe'] ?? [];
        const keys = puts.map((request) => request.PutRequest?.Item?.['pk']?.S ?? '?');
        for (const request of puts) {
          const item = request.PutRequest?.Item ?? {};
          assert.equal(item['status']?.S, 'completed');
          assert.ok(Number(item['expiresAt']?.N) > 0);
        }
        requests.push(keys);
        const left = puts.filter((_, i) => unprocessed(keys[i] ?? '?', requests.length));
        return Promise.resolve({ UnprocessedItems: left.length > 0 ? { dedupe: left } : {} });
      },
    },
  };
}

describe("the dedupe store's completions", () => {
  const store = (dynamo: ReturnType<typeof fakeDynamo>) =>
    createDynamoDedupeStore({
      client: dynamo.client as never,
      tableName: 'dedupe',
      batchLingerMs: 10,
    });

  it('share one BatchWriteItem, and a key asked twice is written once', async () => {
    const dynamo = fakeDynamo(() => false);
    const dedupe = store(dynamo);
    await Promise.all([dedupe.complete('a'), dedupe.complete('b'), dedupe.complete('a')]);
    assert.deepEqual(dynamo.requests, [['a', 'b']]);
  });

  it('writes again what DynamoDB left unprocessed, and fails only the keys it never took', async () => {
    const dynamo = fakeDynamo((key, attempt) => key === 'never' || (key === 'later' && attempt === 1));
    const dedupe = store(dynamo);
    const outcomes = await Promise.allSettled([
      dedupe.complete('now'),
      dedupe.complete('later'),
      dedupe.complete('never'),
    ]);
    assert.deepEqual(dynamo.requests, [['now', 'later', 'never'], ['later', 'never'], ['never'], ['never']]);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as Error).message)),
      ['ok', 'ok', 'completion of never not written: DynamoDB left it unprocessed'],
    );
  });
});

describe("the consumer's deletions", () => {
  it('delete the messages it handled together in one DeleteMessageBatch, and a failed entry only warns', async () => {
    const messages: Message[] = ['ada', 'grace', 'alan'].map((agentId, i) => ({
      MessageId: `m-${i}`,
      ReceiptHandle: `r-${agentId}`,
      Body: JSON.stringify({
        id: `eb-${i}`,
        time: '2026-12-04T10:00:00Z',
        'detail-type': 'AgentRetired',
        source: 'ocf.directory',
        detail: JSON.parse(toDetail(createEvent('AgentRetired', { agentId }))) as unknown,
      }),
    }));
    const deletions: string[][] = [];
    const sqs = {
      send(command: unknown): Promise<unknown> {
        if (command instanceof ReceiveMessageCommand) {
          const batch = messages.splice(0, 10);
          // An empty receive waits, as a long poll does, so the loop leaves room for timers.
          return batch.length > 0
            ? Promise.resolve({ Messages: batch })
            : new Promise((resolve) => {
                setTimeout(() => {
                  resolve({ Messages: [] });
                }, 20);
              });
        }
        if (command instanceof DeleteMessageBatchCommand) {
          const input: DeleteMessageBatchCommandInput = command.input;
          const entries = input.Entries ?? [];
          deletions.push(entries.map((entry) => entry.ReceiptHandle ?? '?'));
          const grace = entries.find((entry) => entry.ReceiptHandle === 'r-grace');
          return Promise.resolve({
            Successful: entries.filter((entry) => entry !== grace).map((entry) => ({ Id: entry.Id })),
            Failed:
              grace === undefined
                ? []
                : [{ Id: grace.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true }],
          });
        }
        throw new Error(`unexpected ${String(command)}`);
      },
    };
    const logger = createMemoryLogger();
    const outcomes: Outcome[] = [];
    const consumer = createQueueConsumer({
      name: 'health',
      sqs,
      queueUrl: 'q',
      deadLetterQueueUrl: 'dlq',
      handlers: { AgentRetired: () => Promise.resolve() },
      dedupe: createMemoryDedupeStore(),
      logger,
      batchLingerMs: 20,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    consumer.start();
    while (outcomes.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await consumer.stop();
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['handled', 'handled', 'handled'],
    );
    assert.deepEqual(deletions, [['r-ada', 'r-grace', 'r-alan']]);
    const warnings = logger.entries.filter((entry) => entry.message === 'could not delete a handled message');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.attributes['messageId'], 'm-1');
  });
});
