import { GetQueueUrlCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface DeadLetter {
  readonly body: string;
  /** The consumer's message attributes: DEAD_LETTER_ATTRIBUTES (reason, message, consumer). */
  readonly attributes: Record<string, string>;
}

/**
 * What sits in a DLQ now, left where it is (visibility 0): reading it does not hide a letter
 * from the next look.
 */
export async function deadLetters(sqs: Pick<SQSClient, 'send'>, queueName: string): Promise<DeadLetter[]> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  const result = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      VisibilityTimeout: 0,
    }),
  );
  return (result.Messages ?? []).map((m) => ({
    body: m.Body ?? '',
    attributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
    ),
  }));
}
