import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { catalogue } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { applyRouting, DIRECTORY_SOURCE, fleetRouting, type AppliedRouting } from '@ocf/routing';
import {
  createDynamoDedupeStore,
  createEventBridgePublisher,
  createQueueConsumer,
  deliveryPolicy,
  type Outcome,
  type QueueConsumer,
} from '@ocf/runtime';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { deadLetterCount } from '../support/dead-letters.ts';

/**
 * Issue 12 item 2: a consumer SIGKILLed between its dedupe claim and completion must not strand
 * its message behind its lease until SQS redrives it. Another consumer takes it over on the
 * first redelivery and handles it exactly once; nothing reaches the DLQ.
 */
describe('a consumer killed mid-handler', () => {
  // A short visibility timeout so the takeover happens within seconds; every other timing
  // (lease V/2, heartbeat V/6, in-progress retry V) follows from it as in production.
  const visibilitySeconds = 4;
  const policy = deliveryPolicy(visibilitySeconds);
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('crash'));
  let applied: AppliedRouting;
  let victim: ChildProcess | undefined;
  let survivor: QueueConsumer | undefined;
  const outcomes: Outcome[] = [];
  const handledBySurvivor: { eventId: string; receiveCount: number }[] = [];

  before(async () => {
    applied = await applyRouting(routing, clients);
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: applied.queues.credentials.url,
        Attributes: { VisibilityTimeout: String(visibilitySeconds) },
      }),
    );
  });

  after(async () => {
    victim?.kill('SIGKILL');
    await survivor?.stop();
  });

  it('is taken over on the first redelivery and handled exactly once, with no DLQ', async () => {
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: applied.queues.credentials.url,
        AttributeNames: ['RedrivePolicy'],
      }),
    );
    const redrive = JSON.parse(Attributes?.['RedrivePolicy'] ?? '{}') as {
      maxReceiveCount?: number | string;
    };
    assert.equal(Number(redrive.maxReceiveCount), policy.maxReceiveCount);

    victim = spawn(process.execPath, [resolve(import.meta.dirname, '../support/crash-consumer.ts')], {
      env: {
        ...process.env,
        CRASH_QUEUE_URL: applied.queues.credentials.url,
        CRASH_DLQ_URL: applied.queues.credentials.deadLetterQueueUrl,
        CRASH_TABLE: routing.tables.processedEvents.name,
        CRASH_VISIBILITY_SECONDS: String(visibilitySeconds),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: victim.stdout! });
    const claimed = new Promise<string>((resolveClaim) =>
      lines.on('line', (line) => {
        if (line.startsWith('claimed ')) resolveClaim(line.slice('claimed '.length));
      }),
    );

    const publisher = createEventBridgePublisher({
      client: clients.eventBridge,
      busName: routing.busName,
      source: DIRECTORY_SOURCE,
    });
    const event = await publisher.emit('AgentHired', { ...catalogue.AgentHired.example, agentId: 'crash-1' });
    const eventId = event.metadata.eventId;
    const dedupeKey = { pk: { S: `credentials#${eventId}` } };

    assert.equal(await claimed, eventId);
    // Let a heartbeat or two renew the lease, so the takeover is not only of a first claim.
    await new Promise((r) => setTimeout(r, policy.heartbeatMs * 2));
    const held = await clients.dynamodb.send(
      new GetItemCommand({
        TableName: routing.tables.processedEvents.name,
        Key: dedupeKey,
        ConsistentRead: true,
      }),
    );
    assert.equal(held.Item?.['status']?.S, 'in-progress');

    const exited = once(victim, 'exit');
    victim.kill('SIGKILL');
    const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, 'SIGKILL');

    survivor = createQueueConsumer({
      name: 'credentials',
      sqs: clients.sqs,
      queueUrl: applied.queues.credentials.url,
      deadLetterQueueUrl: applied.queues.credentials.deadLetterQueueUrl,
      dedupe: createDynamoDedupeStore({
        client: clients.dynamodb,
        tableName: routing.tables.processedEvents.name,
      }),
      logger: createMemoryLogger(),
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: visibilitySeconds,
      onOutcome: (outcome) => outcomes.push(outcome),
      handlers: {
        AgentHired: async (hired, context) => {
          handledBySurvivor.push({ eventId: hired.metadata.eventId, receiveCount: context.receiveCount });
          await Promise.resolve();
        },
        AgentRetired: async () => {},
        CredentialsRotationRequested: async () => {},
      },
    });
    survivor.start();

    await waitFor(
      'the survivor to handle the event',
      () => outcomes.find((o) => o.kind === 'handled' && o.eventId === eventId),
      { timeoutMs: (visibilitySeconds + policy.inProgressRetrySeconds) * 1000 * 3 },
    );
    // Room for a stray duplicate to show up, should the arithmetic be wrong: one more V.
    await new Promise((r) => setTimeout(r, visibilitySeconds * 1000 + 500));

    assert.deepEqual(
      handledBySurvivor.map((h) => h.eventId),
      [eventId],
    );
    // Taken over on the first redelivery: the lease (V/2) had run out before the message reappeared (V).
    assert.equal(handledBySurvivor[0]?.receiveCount, 2);
    assert.equal(outcomes.filter((o) => o.kind === 'retry-later').length, 0, JSON.stringify(outcomes));
    assert.equal(outcomes.filter((o) => o.kind === 'dead-lettered').length, 0);
    const done = await clients.dynamodb.send(
      new GetItemCommand({
        TableName: routing.tables.processedEvents.name,
        Key: dedupeKey,
        ConsistentRead: true,
      }),
    );
    assert.equal(done.Item?.['status']?.S, 'completed');
    assert.equal(
      await deadLetterCount(clients.sqs, { url: applied.queues.credentials.deadLetterQueueUrl }),
      0,
    );
  });
});
