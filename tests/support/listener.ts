import { randomBytes } from 'node:crypto';
import { PutRuleCommand, PutTargetsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface BusEvent {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: {
    metadata?: { eventId?: string; correlationId?: string; causationId?: string };
    data: Record<string, unknown>;
  };
}

/**
 * What an outside system does to hear the fleet: its own queue and a rule on the fleet's bus.
 * Tests use it to see every event of some types, whoever else consumes them.
 */
export async function listenOnBus(
  clients: { eventBridge: EventBridgeClient; sqs: SQSClient },
  busName: string,
  pattern: Record<string, unknown>,
): Promise<{ events: BusEvent[]; poll(): Promise<BusEvent[]>; drain(): Promise<BusEvent[]> }> {
  const name = `listener-${randomBytes(4).toString('hex')}`;
  const { QueueUrl: url } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  await clients.eventBridge.send(
    new PutRuleCommand({ Name: name, EventBusName: busName, EventPattern: JSON.stringify(pattern) }),
  );
  await clients.eventBridge.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: busName,
      Targets: [{ Id: 'listener', Arn: Attributes?.QueueArn }],
    }),
  );
  const events: BusEvent[] = [];
  return {
    events,
    /** Takes what arrived so far (up to ten messages) into `events` and returns all seen. */
    poll,
    /**
     * Takes everything on the queue into `events`, however many messages, and returns all seen:
     * for "nothing else was published" once the publishers are known to be done.
     */
    async drain() {
      for (let seen = -1; seen !== events.length;) {
        seen = events.length;
        await poll();
      }
      return events;
    },
  };

  async function poll(): Promise<BusEvent[]> {
    const result = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const messages = result.Messages ?? [];
    for (const m of messages) events.push(JSON.parse(m.Body ?? '{}') as BusEvent);
    if (messages.length > 0) {
      await clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    return events;
  }
}
