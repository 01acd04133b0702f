/**
 * A consumer in a process of its own, for tests that kill it: it consumes the credentials queue
 * named in its environment and, for each AgentHired, prints `claimed <eventId>` once the handler
 * runs (so after the dedupe claim) and then never finishes, waiting to be killed between claim
 * and completion.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createMemoryLogger } from '@ocf/logging';
import { createDynamoDedupeStore, createQueueConsumer } from '@ocf/runtime';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const consumer = createQueueConsumer({
  name: 'credentials',
  sqs: new SQSClient({}),
  queueUrl: env('CRASH_QUEUE_URL'),
  deadLetterQueueUrl: env('CRASH_DLQ_URL'),
  dedupe: createDynamoDedupeStore({ client: new DynamoDBClient({}), tableName: env('CRASH_TABLE') }),
  logger: createMemoryLogger(),
  waitTimeSeconds: 1,
  visibilityTimeoutSeconds: Number(env('CRASH_VISIBILITY_SECONDS')),
  handlers: {
    AgentHired: (event) => {
      process.stdout.write(`claimed ${event.metadata.eventId}\n`);
      return new Promise<void>(() => undefined);
    },
    AgentRetired: async () => {},
    CredentialsRotationRequested: async () => {},
  },
});
consumer.start();
