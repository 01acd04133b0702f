import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DescribeRuleCommand, ListTargetsByRuleCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { catalogue } from '@ocf/events';
import {
  applyRouting,
  DIRECTORY_SOURCE,
  eventPattern,
  fleetRouting,
  type AppliedRouting,
  type ServiceName,
} from '@ocf/routing';
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

  for (const rule of fleetRouting('shape').rules) {
    const service = rule.service;
    it(`${rule.name.replace('ocf-shape-', '')}: routes exactly that subscription to the ${service} queue, which redrives to its DLQ`, async () => {
      const name = rule.name.replace('ocf-shape-', `${routing.prefix}-`);
      const described = await clients.eventBridge.send(
        new DescribeRuleCommand({ Name: name, EventBusName: routing.busName }),
      );
      assert.deepEqual(JSON.parse(described.EventPattern ?? '{}'), eventPattern(rule.from, rule.eventTypes));

      const targets = await clients.eventBridge.send(
        new ListTargetsByRuleCommand({ Rule: name, EventBusName: routing.busName }),
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

  it("sends an outside AgentHired to the directory alone, and the directory's own to the cascade", async () => {
    const detail = JSON.stringify({ data: catalogue.AgentHired.example });
    await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: routing.busName, Source: 'hr.example', DetailType: 'AgentHired', Detail: detail },
          {
            EventBusName: routing.busName,
            Source: DIRECTORY_SOURCE,
            DetailType: 'AgentHired',
            Detail: detail,
          },
        ],
      }),
    );
    const sourcesIn = async (service: ServiceName): Promise<string[]> => {
      const sources: string[] = [];
      // Long-poll until the queue is quiet: moto delivers both entries within a poll or two.
      for (let poll = 0; poll < 3; poll++) {
        const result = await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: applied.queues[service].url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        for (const m of result.Messages ?? [])
          sources.push((JSON.parse(m.Body ?? '{}') as { source: string }).source);
      }
      return sources.sort();
    };
    // The directory alone hears the outside request; it does not hear its own AgentHired back.
    assert.deepEqual(await sourcesIn('directory'), ['hr.example']);
    assert.deepEqual(await sourcesIn('credentials'), [DIRECTORY_SOURCE]);
    assert.deepEqual(await sourcesIn('bridge'), [DIRECTORY_SOURCE]);
  });

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
    assert.equal(ttl.TimeToLiveDescription.TimeToLiveStatus, 'ENABLED');
  });

  it('adds the indexes a table made by an older version lacks, and keeps its items', async () => {
    const older = fleetRouting(uniqueEnvironment('upgrade'));
    const agentsTable = older.tables.agents;
    const lacking = { ...agentsTable, indexes: agentsTable.indexes.filter((i) => i.name !== 'byChange') };
    await applyRouting({ ...older, tables: { ...older.tables, agents: lacking } }, clients);
    await clients.dynamodb.send(
      new PutItemCommand({ TableName: agentsTable.name, Item: { agentId: { S: 'kept' } } }),
    );

    await applyRouting(older, clients);
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: agentsTable.name }));
    assert.deepEqual(
      Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort(),
      agentsTable.indexes.map((i) => i.name).sort(),
    );
    const kept = await clients.dynamodb.send(
      new GetItemCommand({ TableName: agentsTable.name, Key: { agentId: { S: 'kept' } } }),
    );
    assert.equal(kept.Item?.['agentId']?.S, 'kept');
  });
});
