import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { Logger } from '@ocf/logging';
import { sleep } from '@ocf/runtime';

/** The parts of an "ECS Task State Change" event (default bus, source aws.ecs) health reads. */
const taskStateChange = z.object({
  source: z.literal('aws.ecs'),
  'detail-type': z.literal('ECS Task State Change'),
  detail: z.object({
    taskArn: z.string().min(1),
    lastStatus: z.string().optional(),
    desiredStatus: z.string().optional(),
    stoppedReason: z.string().optional(),
  }),
});
export type TaskStateChange = z.infer<typeof taskStateChange>;

export interface EcsTaskEventsOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  readonly logger: Logger;
  /** Called for every task that changed; health looks at the task (it does not trust the event). */
  readonly onTaskChanged: (change: TaskStateChange) => void;
  readonly waitTimeSeconds?: number;
}

/**
 * ECS's task state changes, from a queue that a rule on the account's default event bus fills
 * (ADR 0011). They are a trigger only: health reads the task's state from ECS before deciding, so
 * a lost, late or repeated event changes nothing but how soon health looks. These are not fleet
 * events, so they do not go through the fleet consumer (which would dead-letter them as an
 * unknown type); anything that does not parse is logged and dropped.
 */
export function createEcsTaskEvents(options: EcsTaskEventsOptions): { start(): void; stop(): Promise<void> } {
  const { sqs, queueUrl, logger } = options;
  const stopController = new AbortController();
  const isStopping = (): boolean => stopController.signal.aborted;
  let loop: Promise<void> | undefined;

  async function run(): Promise<void> {
    let failures = 0;
    while (!isStopping()) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: options.waitTimeSeconds ?? 20,
          }),
          { abortSignal: stopController.signal },
        );
        failures = 0;
        for (const message of Messages) {
          let body: unknown;
          try {
            body = JSON.parse(message.Body ?? '');
          } catch {
            body = undefined;
          }
          const parsed = taskStateChange.safeParse(body);
          if (parsed.success) options.onTaskChanged(parsed.data);
          else
            logger.warn('ignored a message that is not an ECS task state change', {
              messageId: message.MessageId,
            });
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        }
      } catch (error) {
        if (isStopping()) break;
        failures++;
        logger.warn('could not read ECS task events; backing off', { error });
        await sleep(Math.min(30_000, 500 * 2 ** failures), stopController.signal);
      }
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      stopController.abort();
      await loop;
    },
  };
}
