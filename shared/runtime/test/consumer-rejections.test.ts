import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { TransientError } from '@ocf/errors';
import { createMemoryLogger } from '@ocf/logging';
import {
  answeringRejections,
  createMemoryDedupeStore,
  createMemoryPublisher,
  createQueueConsumer,
  DEAD_LETTER_ATTRIBUTES,
  type Outcome,
  type RejectionHandler,
} from '../src/index.ts';

/** One queue and its DLQ in memory: enough SQS for one consumer to receive, delete, retry, dead-letter. */
function fakeSqs(bodies: string[]) {
  const waiting: Message[] = bodies.map((Body, i) => ({
    Body,
    MessageId: `m-${i}`,
    ReceiptHandle: `r-${i}`,
  }));
  const dead: { body: string; attributes: Record<string, string> }[] = [];
  const retried: number[] = [];
  return {
    dead,
    retried,
    send(command: unknown): Promise<unknown> {
      if (command instanceof ReceiveMessageCommand) {
        const messages = waiting.splice(0, 10);
        return messages.length > 0
          ? Promise.resolve({ Messages: messages })
          : new Promise((resolve) => {
              setTimeout(() => {
                resolve({ Messages: [] });
              }, 20);
            });
      }
      if (command instanceof SendMessageCommand) {
        const attributes = command.input.MessageAttributes ?? {};
        dead.push({
          body: command.input.MessageBody ?? '',
          attributes: Object.fromEntries(
            Object.entries(attributes).map(([k, v]) => [k, v.StringValue ?? '']),
          ),
        });
      }
      if (command instanceof ChangeMessageVisibilityCommand)
        retried.push(command.input.VisibilityTimeout ?? 0);
      if (command instanceof DeleteMessageBatchCommand) return Promise.resolve({});
      return Promise.resolve({});
    },
  };
}

const body = (detailType: string, data: unknown) =>
  JSON.stringify({
    version: '0',
    id: 'eb-7',
    'detail-type': detailType,
    source: 'hr.example',
    account: '123456789012',
    time: '2026-11-25T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { data, metadata: { correlationId: 'corr-7' } },
  });

async function consume(bodies: string[], onRejected: RejectionHandler) {
  const sqs = fakeSqs(bodies);
  const publisher = createMemoryPublisher();
  const outcomes: Outcome[] = [];
  const consumer = createQueueConsumer({
    name: 'directory',
    sqs,
    queueUrl: 'q',
    deadLetterQueueUrl: 'dlq',
    handlers: { AgentHired: answeringRejections(() => Promise.resolve(), onRejected) },
    dedupe: createMemoryDedupeStore(),
    publisher,
    logger: createMemoryLogger(),
    onOutcome: (outcome) => outcomes.push(outcome),
  });
  consumer.start();
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (outcomes.length >= bodies.length) {
        clearInterval(check);
        resolve();
      }
    }, 5);
  });
  await consumer.stop();
  return { sqs, publisher, outcomes };
}

describe('the consumer answering rejected messages', () => {
  it("lets the type's handler answer an invalid message, correlated with it, then dead-letters it with its reason", async () => {
    const seen: string[] = [];
    const { sqs, publisher } = await consume(
      [body('AgentHired', { agentId: 'ada' })],
      async (rejection, ctx) => {
        seen.push(rejection.reason);
        await ctx.emit('HireRejected', {
          agentId: 'ada',
          requestEventId: rejection.eventId ?? '?',
          requestType: 'AgentHired',
          reason: rejection.message,
        });
      },
    );
    assert.deepEqual(seen, ['invalid-data']);
    assert.equal(publisher.published.length, 1);
    assert.deepEqual(
      {
        type: publisher.published[0]?.type,
        correlationId: publisher.published[0]?.metadata.correlationId,
        causationId: publisher.published[0]?.metadata.causationId,
      },
      { type: 'HireRejected', correlationId: 'corr-7', causationId: 'eb-7' },
    );
    assert.equal(sqs.dead.length, 1);
    assert.equal(sqs.dead[0]?.attributes[DEAD_LETTER_ATTRIBUTES.reason], 'invalid-data');
  });

  it('retries the message when the answer fails for now, and never asks about an unknown type', async () => {
    let asked = 0;
    const { sqs, outcomes } = await consume(
      [body('AgentHired', {}), body('AgentHried', { agentId: 'ada' })],
      () => {
        asked++;
        return Promise.reject(new TransientError('BUS_DOWN', 'bus unavailable'));
      },
    );
    assert.equal(asked, 1);
    assert.equal(sqs.retried.length, 1);
    assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['dead-lettered', 'retry-later']);
    assert.equal(sqs.dead[0]?.attributes[DEAD_LETTER_ATTRIBUTES.reason], 'unknown-type');
  });
});
