import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DescribeRuleCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { applyRouting, fleetRouting, SUBSCRIPTIONS, type AppliedRouting } from '@ocf/routing';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';

// The one routing definition, applied to moto and read back through the AWS APIs.
describe('routing on moto', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('routing'));
  let applied: AppliedRouting;

  before(async () => {
    await applyRouting(routing, clients);
    // Applying again converges instead of failing.
    applied = await applyRouting(routing, clients);
  });

  for (const service of Object.keys(SUBSCRIPTIONS) as (keyof typeof SUBSCRIPTIONS)[]) {
    it(`routes exactly ${service}'s subscriptions to its queue, which redrives to its DLQ`, async () => {
      const rule = routing.rules.find((r) => r.service === service);
      assert.ok(rule);
      const described = await clients.eventBridge.send(
        new DescribeRuleCommand({ Name: rule.name, EventBusName: routing.busName }),
      );
      const pattern = JSON.parse(described.EventPattern ?? '{}') as { 'detail-type': string[] };
      assert.deepEqual([...pattern['detail-type']].sort(), [...SUBSCRIPTIONS[service]].sort());

      const targets = await clients.eventBridge.send(
        new ListTargetsByRuleCommand({ Rule: rule.name, EventBusName: routing.busName }),
      );
      assert.deepEqual(
        targets.Targets?.map((t) => t.Arn),
        [applied.queues[service].arn],
      );

      const { Attributes } = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: applied.queues[service].url,
          AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'],
        }),
      );
      const redrive = JSON.parse(Attributes?.RedrivePolicy ?? '{}') as {
        deadLetterTargetArn: string;
        maxReceiveCount: number | string;
      };
      assert.equal(redrive.deadLetterTargetArn, applied.queues[service].deadLetterQueueArn);
      assert.equal(Number(redrive.maxReceiveCount), routing.queues[service].maxReceiveCount);
      assert.equal(Attributes?.VisibilityTimeout, String(routing.queues[service].visibilityTimeoutSeconds));
    });
  }

  it('creates the tables with their indexes and TTL', async () => {
    const agents = await clients.dynamodb.send(
      new DescribeTableCommand({ TableName: routing.tables.agents.name }),
    );
    assert.deepEqual(
      agents.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort(),
      routing.tables.agents.indexes.map((i) => i.name).sort(),
    );
    const ttl = await clients.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: routing.tables.processedEvents.name }),
    );
    assert.equal(ttl.TimeToLiveDescription?.AttributeName, 'expiresAt');
    assert.equal(ttl.TimeToLiveDescription?.TimeToLiveStatus, 'ENABLED');
  });
});
