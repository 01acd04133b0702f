import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FleetRouting, ServiceName } from '@ocf/routing';
import { waitFor } from './aws.ts';

/*
 * Signals a test waits on before it asserts that nothing else happened. A fixed sleep passes
 * without testing anything when the late delivery takes longer than the sleep; these wait for the
 * work itself to be over, however long it takes.
 */

const COUNTS = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

/** Messages on a queue that are waiting, in a consumer's hands (or waiting out a retry), or delayed. */
export async function messagesOn(sqs: Pick<SQSClient, 'send'>, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...COUNTS] }),
  );
  return COUNTS.reduce((sum, name) => sum + Number(Attributes[name] ?? '0'), 0);
}

/**
 * Waits until the given services' queues are all empty, twice in a row: every delivery so far was
 * handled, skipped as a duplicate or dead-lettered, and none waits for a retry. A consumer deletes
 * a message only after its handler returned, and the handler published what it had to before that
 * (moto delivers a PutEvents to the target queues before answering), so once the queues are quiet
 * everything the services were going to do about those messages has been done and published. A
 * message that a killed consumer held counts until it comes back and is handled: exactly the late
 * delivery such a test is about.
 */
export async function fleetQuiet(
  sqs: Pick<SQSClient, 'send'>,
  routing: FleetRouting,
  services: readonly ServiceName[],
  { timeoutMs = 120_000 } = {},
): Promise<void> {
  const urls = await Promise.all(
    services.map(async (service) => {
      const { QueueUrl } = await sqs.send(
        new GetQueueUrlCommand({ QueueName: routing.queues[service].name }),
      );
      if (QueueUrl === undefined) throw new Error(`no queue for ${service}`);
      return QueueUrl;
    }),
  );
  let quietRounds = 0;
  const counts: Record<string, number> = {};
  await waitFor(
    `the queues of ${services.join(', ')} to be empty`,
    async () => {
      // One round reads every queue; a handler that published into an earlier-read queue just
      // before its own message was deleted shows up in the next round.
      let total = 0;
      for (const [i, url] of urls.entries()) {
        const n = await messagesOn(sqs, url);
        counts[services[i] ?? url] = n;
        total += n;
      }
      quietRounds = total === 0 ? quietRounds + 1 : 0;
      return quietRounds >= 2 ? true : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; last counts ${JSON.stringify(counts)}`, { cause: error });
  });
}

/**
 * Waits until the provisioning service has finished `count` reconcile passes that started after
 * this call: the passes it reports at GET /v1/reconcile. The pass that may be under way when this
 * is called does not count, so each counted pass saw the state of the world as of now.
 */
export async function reconcilePasses(provisioningUrl: string, count = 1, { timeoutMs = 60_000 } = {}) {
  const passes = async (): Promise<number> => {
    const response = await fetch(`${provisioningUrl}/v1/reconcile`);
    if (!response.ok) throw new Error(`GET /v1/reconcile answered ${response.status}`);
    return ((await response.json()) as { passes: number }).passes;
  };
  const from = await passes();
  await waitFor(
    `${count} more reconcile passes (from ${from})`,
    async () => ((await passes()) >= from + count + 1 ? true : undefined),
    { timeoutMs, intervalMs: 200 },
  );
}
