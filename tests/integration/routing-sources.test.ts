import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ListRulesCommand, PutEventsCommand, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { catalogue, eventTypes, type EventType } from '@ocf/events';
import {
  applyRouting,
  fleetRouting,
  SERVICE_NAMES,
  SUBSCRIPTIONS,
  type AppliedRouting,
  type ServiceName,
} from '@ocf/routing';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';

/**
 * Issue 11, item 1(a): an event reaches a queue only from its producer's source. A forged
 * internal event (another service's name, or an outside source) must never reach a consumer.
 */
describe('routing takes each event only from its producer (moto)', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('sources'));
  let applied: AppliedRouting;

  before(async () => {
    await applyRouting(routing, clients);
    // A catch-all rule as earlier versions made it: applying the routing again must remove it.
    await clients.eventBridge.send(
      new PutRuleCommand({
        Name: `${routing.prefix}-fleet-to-provisioning`,
        EventBusName: routing.busName,
        EventPattern: JSON.stringify({ source: [{ prefix: 'ocf.' }] }),
      }),
    );
    applied = await applyRouting(routing, clients);
  });

  const put = async (entries: { source: string; type: EventType; marker: string }[]): Promise<void> => {
    for (let i = 0; i < entries.length; i += 10) {
      const result = await clients.eventBridge.send(
        new PutEventsCommand({
          Entries: entries.slice(i, i + 10).map(({ source, type, marker }) => ({
            EventBusName: routing.busName,
            Source: source,
            DetailType: type,
            Detail: JSON.stringify({ data: catalogue[type].example, marker }),
          })),
        }),
      );
      assert.equal(result.FailedEntryCount ?? 0, 0, JSON.stringify(result.Entries));
    }
  };

  /** Receives until `expected` messages arrived (the signal), then checks the queue is empty. */
  const drain = async (service: ServiceName, expected: number): Promise<string[]> => {
    const received: string[] = [];
    await waitFor(
      `${expected} message(s) in the ${service} queue`,
      async () => {
        const { Messages } = await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: applied.queues[service].url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        for (const message of Messages ?? []) {
          const body = JSON.parse(message.Body ?? '{}') as {
            source: string;
            'detail-type': string;
            detail: { marker: string };
          };
          received.push(`${body.source} ${body['detail-type']} ${body.detail.marker}`);
        }
        return received.length >= expected ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 0 },
    );
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: applied.queues[service].url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    assert.equal(Attributes?.ApproximateNumberOfMessages, '0', `${service}: nothing left behind`);
    return received.sort();
  };

  it('leaves the old catch-all "any fleet service" rule behind no more', async () => {
    const { Rules } = await clients.eventBridge.send(
      new ListRulesCommand({ EventBusName: routing.busName, NamePrefix: `${routing.prefix}-` }),
    );
    assert.deepEqual(
      (Rules ?? []).map((rule) => rule.Name).sort(),
      routing.rules.map((rule) => rule.name).sort(),
    );
  });

  it('drops a forged CredentialsIssued from ocf.bridge or hr.example; delivers the genuine one to provisioning', async () => {
    // Forged first, in their own calls; the genuine one after them is the signal that moto has
    // delivered (or dropped) everything before it.
    await put([{ source: 'ocf.bridge', type: 'CredentialsIssued', marker: 'forged-by-bridge' }]);
    await put([{ source: 'hr.example', type: 'CredentialsIssued', marker: 'forged-outside' }]);
    await put([{ source: 'ocf.credentials', type: 'CredentialsIssued', marker: 'genuine' }]);
    assert.deepEqual(await drain('provisioning', 1), ['ocf.credentials CredentialsIssued genuine']);
    // The other consumers of CredentialsIssued hear only the genuine one too.
    assert.deepEqual(await drain('bridge', 1), ['ocf.credentials CredentialsIssued genuine']);
    assert.deepEqual(await drain('health', 1), ['ocf.credentials CredentialsIssued genuine']);
    assert.deepEqual(await drain('directory', 1), ['ocf.credentials CredentialsIssued genuine']);
  });

  it('routes every event type from every source exactly as the catalogue names its producers', async () => {
    const sources = [...SERVICE_NAMES.map((service) => `ocf.${service}`), 'hr.example'];
    const all = eventTypes.flatMap((type) =>
      sources.map((source) => ({ source, type, marker: `${source}/${type}` })),
    );
    // Expected from the catalogue and the subscriptions, not from the rules under test.
    const accepts = (service: ServiceName, type: EventType, source: string): boolean =>
      SUBSCRIPTIONS[service].some(
        (subscription) =>
          subscription.eventTypes.includes(type) &&
          (subscription.from === 'outside'
            ? !source.startsWith('ocf.')
            : catalogue[type].producedBy.some(
                (producer) => producer !== 'outside' && `ocf.${producer}` === source,
              )),
      );
    await put(all);
    for (const service of SERVICE_NAMES) {
      const expected = all
        .filter(({ type, source }) => accepts(service, type, source))
        .map(({ type, source, marker }) => `${source} ${type} ${marker}`)
        .sort();
      assert.ok(expected.length > 0, service);
      assert.deepEqual(await drain(service, expected.length), expected, service);
    }
  });
});
