import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { createSqsStepBacklog } from '../../services/directory/src/adapters/step-backlog.ts';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';

// The cascade resync's look at the next steps' queues (ADR 0024), on moto's SQS.
describe('the directory step backlog on moto', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('backlog'));
  const backlog = createSqsStepBacklog(clients.sqs, routing);
  const urlOf = async (queueName: string) =>
    (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl;

  before(async () => {
    await applyRouting(routing, clients);
  });
  after(() => {
    clients.sqs.destroy();
  });

  it('counts the messages waiting for the step after each status, and only those', async () => {
    assert.equal(await backlog('hired'), 0, 'fresh queues');
    const bridge = await urlOf(routing.queues.bridge.name);
    for (const n of [1, 2, 3]) {
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: bridge, MessageBody: `waiting ${n}` }));
    }
    assert.equal(await backlog('credentials-issued'), 3, 'the bridge makes the chat account next');
    assert.equal(await backlog('retiring'), 3, 'the bridge closes the account of a retiring agent');
    assert.equal(await backlog('hired'), 0, 'credentials comes after "hired", not the bridge');
    assert.equal(await backlog('running'), 0, 'not a status in passing: nothing to wait for');

    // The directory's own queue holds the reports that move an agent on: counted for every status.
    const directory = await urlOf(routing.queues.directory.name);
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: directory, MessageBody: 'a report' }));
    assert.equal(await backlog('hired'), 1);
    assert.equal(await backlog('credentials-issued'), 4);

    // A message taken by a consumer (in flight) is being worked on, not waiting.
    await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: bridge, MaxNumberOfMessages: 1, VisibilityTimeout: 60 }),
    );
    assert.equal(await backlog('credentials-issued'), 3);
  });
});
