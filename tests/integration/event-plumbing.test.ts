import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { TransientError, ValidationError } from '@ocf/errors';
import { catalogue, createEvent, toDetail, type FleetEvent } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { applyRouting, DIRECTORY_SOURCE, fleetRouting, type AppliedRouting } from '@ocf/routing';
import {
  createDynamoDedupeStore,
  createEventBridgePublisher,
  createQueueConsumer,
  DEAD_LETTER_ATTRIBUTES,
  type Outcome,
  type QueueConsumer,
} from '@ocf/runtime';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { deadLetters } from '../support/dead-letters.ts';

// The whole plumbing against the real moto server: publisher -> bus -> rule -> queue -> consumer.
describe('event plumbing on moto', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('plumbing'));
  let applied: AppliedRouting;
  let consumer: QueueConsumer;
  const outcomes: Outcome[] = [];
  /** Side effects of the handler, by event id: what "exactly once" is measured on. */
  const sideEffects = new Map<string, number>();
  const received: FleetEvent[] = [];
  const failOnce = new Set<string>();

  // Publishing as the directory: only its AgentHired reaches the credentials queue.
  const publisher = createEventBridgePublisher({
    client: clients.eventBridge,
    busName: routing.busName,
    source: DIRECTORY_SOURCE,
  });

  before(async () => {
    applied = await applyRouting(routing, clients);
    consumer = createQueueConsumer({
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
      // Short, so that a copy which meets another copy's live claim (two deliveries received in
      // the same batch) is looked at again within the test's wait rather than after 30 s.
      visibilityTimeoutSeconds: 4,
      retryBackoff: { baseMs: 1000, maxMs: 1000 },
      onOutcome: (outcome) => outcomes.push(outcome),
      handlers: {
        AgentHired: async (event) => {
          received.push(event);
          if (event.data.name === 'Rejected By Handler')
            throw new ValidationError('manager does not exist', { field: 'managerId' });
          if (failOnce.delete(event.metadata.eventId))
            throw new TransientError('SECRETS_THROTTLED', 'throttled, try again');
          sideEffects.set(event.metadata.eventId, (sideEffects.get(event.metadata.eventId) ?? 0) + 1);
          await Promise.resolve();
        },
        AgentRetired: async () => {},
        CredentialsRotationRequested: async () => {},
      },
    });
    consumer.start();
  });

  after(async () => {
    await consumer.stop();
  });

  const outcomeFor = (eventId: string, kind: Outcome['kind']) => () =>
    outcomes.find((o) => 'eventId' in o && o.eventId === eventId && o.kind === kind);

  it('delivers a published event to the subscribed queue and its typed handler', async () => {
    const event = await publisher.emit('AgentHired', catalogue.AgentHired.example, {
      correlationId: 'hire-42',
    });
    const handled = await waitFor('the handler to run', outcomeFor(event.metadata.eventId, 'handled'));
    assert.equal(handled.kind, 'handled');
    const got = received.find((e) => e.metadata.eventId === event.metadata.eventId);
    assert.deepEqual(got?.data, event.data);
    assert.equal(got.metadata.correlationId, 'hire-42');
    assert.equal(got.source, DIRECTORY_SOURCE);
    assert.equal(sideEffects.get(event.metadata.eventId), 1);
  });

  it('accepts a raw PutEvents with no metadata, taking id and time from EventBridge', async () => {
    const result = await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: routing.busName,
            Source: DIRECTORY_SOURCE,
            DetailType: 'AgentHired',
            Detail: JSON.stringify({ data: { ...catalogue.AgentHired.example, agentId: 'raw-hire' } }),
          },
        ],
      }),
    );
    const eventBridgeId = result.Entries?.[0]?.EventId;
    assert.ok(eventBridgeId);
    await waitFor('the raw event to be handled', outcomeFor(eventBridgeId, 'handled'));
    const got = received.find((e) => e.metadata.eventId === eventBridgeId);
    assert.equal(got?.type === 'AgentHired' ? got.data.agentId : undefined, 'raw-hire');
  });

  it('runs the side effect once when the same event is delivered three times', async () => {
    const draft = createEvent('AgentHired', { ...catalogue.AgentHired.example, agentId: 'dup-hire' });
    // Twice through the bus (a publisher retry after a lost response) and once straight onto
    // the queue (SQS at-least-once redelivery).
    await publisher.publish(draft);
    await publisher.publish(draft);
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: applied.queues.credentials.url,
        MessageBody: JSON.stringify({
          version: '0',
          id: 'redelivered',
          'detail-type': 'AgentHired',
          source: DIRECTORY_SOURCE,
          time: new Date().toISOString(),
          detail: JSON.parse(toDetail(draft)) as unknown,
        }),
      }),
    );
    // Two copies can be received together; the one that meets the other's live claim is put back
    // (retry-later) and skipped as a duplicate when it comes round again. Either way each of the
    // three copies ends handled or skipped, and only one of them runs the side effect.
    const endings = () =>
      outcomes.filter(
        (o) => 'eventId' in o && o.eventId === draft.metadata.eventId && o.kind !== 'retry-later',
      );
    await waitFor('all three deliveries to end', () => (endings().length >= 3 ? true : undefined), {
      timeoutMs: 40_000,
    });
    assert.deepEqual(
      endings()
        .map((o) => o.kind)
        .sort(),
      ['duplicate', 'duplicate', 'handled'],
    );
    assert.equal(sideEffects.get(draft.metadata.eventId), 1);
  });

  it('retries a transient handler failure and then succeeds', async () => {
    const draft = createEvent('AgentHired', { ...catalogue.AgentHired.example, agentId: 'flaky-hire' });
    failOnce.add(draft.metadata.eventId);
    await publisher.publish(draft);
    await waitFor('the retry to succeed', outcomeFor(draft.metadata.eventId, 'handled'));
    assert.ok(outcomes.some((o) => o.kind === 'retry-later' && o.eventId === draft.metadata.eventId));
    assert.equal(sideEffects.get(draft.metadata.eventId), 1);
  });

  it('sends malformed and rejected messages to the DLQ with a reason, and keeps consuming', async () => {
    // Invalid data through the bus, a non-JSON body straight on the queue, and an event the
    // handler rejects as permanently invalid.
    await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: routing.busName,
            Source: DIRECTORY_SOURCE,
            DetailType: 'AgentHired',
            Detail: JSON.stringify({ data: { agentId: 'Not A Slug', name: 'X' } }),
          },
        ],
      }),
    );
    await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: applied.queues.credentials.url, MessageBody: 'this is {not json' }),
    );
    await publisher.emit('AgentHired', {
      ...catalogue.AgentHired.example,
      agentId: 'rejected',
      name: 'Rejected By Handler',
    });

    const letters = await waitFor('three dead letters', async () => {
      const seen = outcomes.filter((o) => o.kind === 'dead-lettered');
      return seen.length >= 3
        ? deadLetters(clients.sqs, { url: applied.queues.credentials.deadLetterQueueUrl })
        : undefined;
    });
    const reasons = letters.map((l) => l.attributes[DEAD_LETTER_ATTRIBUTES.reason]).sort();
    assert.deepEqual(reasons, ['handler-rejected', 'invalid-data', 'malformed-json']);
    const invalid = letters.find((l) => l.attributes[DEAD_LETTER_ATTRIBUTES.reason] === 'invalid-data');
    assert.match(invalid?.attributes[DEAD_LETTER_ATTRIBUTES.message] ?? '', /data\.agentId/);
    assert.equal(invalid?.attributes[DEAD_LETTER_ATTRIBUTES.consumer], 'credentials');
    const malformed = letters.find((l) => l.attributes[DEAD_LETTER_ATTRIBUTES.reason] === 'malformed-json');
    assert.equal(malformed?.body, 'this is {not json', 'the original body is kept for inspection');

    // Still consuming after all that.
    const next = await publisher.emit('AgentHired', {
      ...catalogue.AgentHired.example,
      agentId: 'after-the-storm',
    });
    await waitFor('the next good event', outcomeFor(next.metadata.eventId, 'handled'));
  });
});
