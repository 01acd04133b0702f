import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * AWS SDK clients for the test run's AWS endpoint. The SDK reads AWS_ENDPOINT_URL, AWS_REGION
 * and the credentials from the environment, exactly as the services do; the global setup sets
 * them for whichever backend it picked.
 */
export function awsClients(): { eventBridge: EventBridgeClient; sqs: SQSClient; dynamodb: DynamoDBClient } {
  if (process.env['AWS_ENDPOINT_URL'] === undefined) {
    throw new Error(
      'AWS_ENDPOINT_URL is not set: run the tests through `pnpm test` (its global setup starts the backends)',
    );
  }
  return { eventBridge: new EventBridgeClient({}), sqs: new SQSClient({}), dynamodb: new DynamoDBClient({}) };
}

/** A fresh environment name per test file, so parallel or repeated runs never share resources. */
export function uniqueEnvironment(label: string): string {
  return `t-${label}-${randomBytes(3).toString('hex')}`;
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}
