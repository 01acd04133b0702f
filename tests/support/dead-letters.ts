import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { SERVICE_NAMES, type FleetRouting, type ServiceName } from '@ocf/routing';

/** The one place tests read dead-letter queues: by name, or by URL when the test has it. */
export type QueueRef = string | { readonly url: string };

export interface DeadLetter {
  readonly body: string;
  /** The consumer's message attributes: DEAD_LETTER_ATTRIBUTES (reason, message, consumer). */
  readonly attributes: Record<string, string>;
}

type Sqs = Pick<SQSClient, 'send'>;

async function urlOf(sqs: Sqs, queue: QueueRef): Promise<string> {
  if (typeof queue !== 'string') return queue.url;
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
  if (QueueUrl === undefined) throw new Error(`no queue ${queue}`);
  return QueueUrl;
}

async function receive(sqs: Sqs, url: string, visibilityTimeout: number): Promise<DeadLetter[]> {
  const result = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      VisibilityTimeout: visibilityTimeout,
    }),
  );
  return (result.Messages ?? []).map((m) => ({
    body: m.Body ?? '',
    attributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
    ),
  }));
}

/**
 * Up to ten of the letters in a DLQ now, left where they are (visibility 0): reading them does
 * not hide a letter from the next look.
 */
export async function deadLetters(sqs: Sqs, queue: QueueRef): Promise<DeadLetter[]> {
  return receive(sqs, await urlOf(sqs, queue), 0);
}

/** How many letters a DLQ holds: waiting, and in someone's hands. */
export async function deadLetterCount(sqs: Sqs, queue: QueueRef): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await urlOf(sqs, queue),
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes['ApproximateNumberOfMessages'] ?? '0') +
    Number(Attributes['ApproximateNumberOfMessagesNotVisible'] ?? '0')
  );
}

/** The letters in every service's DLQ of a fleet, by service: all zeros is "nothing in any DLQ". */
export async function fleetDeadLetterCounts(
  sqs: Sqs,
  routing: FleetRouting,
): Promise<Record<ServiceName, number>> {
  const counts = await Promise.all(
    SERVICE_NAMES.map(
      async (service) =>
        [service, await deadLetterCount(sqs, routing.queues[service].deadLetterQueueName)] as const,
    ),
  );
  return Object.fromEntries(counts) as Record<ServiceName, number>;
}

/**
 * Reads a DLQ as it fills, as an operator's tooling would: every letter is recorded and deleted,
 * so the queue stays short (moto's SQS slows down with the depth of a queue). `stop()` ends the
 * reading once the queue has been empty twice in a row, and returns every letter read.
 */
export function readDeadLettersAsTheyCome(
  sqs: Sqs,
  queue: QueueRef,
): { letters: DeadLetter[]; stop(): Promise<DeadLetter[]> } {
  const letters: DeadLetter[] = [];
  // A letter whose delete has not landed before its visibility ran out comes back with the same
  // MessageId: it is one letter, recorded once.
  const seen = new Set<string>();
  const reading = { stopping: false };
  const done = (async () => {
    const url = await urlOf(sqs, queue);
    for (let empty = 0; !reading.stopping || empty < 2;) {
      const result = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 1,
          VisibilityTimeout: 60,
        }),
      );
      const messages = result.Messages ?? [];
      empty = messages.length === 0 ? empty + 1 : 0;
      for (const m of messages) {
        if (m.MessageId !== undefined) {
          if (seen.has(m.MessageId)) continue;
          seen.add(m.MessageId);
        }
        letters.push({
          body: m.Body ?? '',
          attributes: Object.fromEntries(
            Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
          ),
        });
      }
      if (messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    }
  })();
  return {
    letters,
    async stop() {
      reading.stopping = true;
      await done;
      return letters;
    },
  };
}
