import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceAlreadyExistsException,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FleetRouting, QueueSpec, ServiceName, TableSpec } from './definition.ts';

export interface RoutingClients {
  readonly eventBridge: Pick<EventBridgeClient, 'send'>;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
}

export interface QueueEndpoints {
  readonly url: string;
  readonly arn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
}

export interface AppliedRouting {
  readonly busArn: string;
  readonly queues: { readonly [S in ServiceName]: QueueEndpoints };
}

/**
 * Creates the routing on an AWS API endpoint (the local emulator; on AWS the CDK stack owns it).
 * Idempotent: running it again converges the same resources instead of failing.
 */
export async function applyRouting(routing: FleetRouting, clients: RoutingClients): Promise<AppliedRouting> {
  const busArn = await ensureBus(routing, clients.eventBridge);
  const entries = await Promise.all(
    Object.values(routing.queues).map(
      async (spec) => [spec.service, await ensureQueue(spec, clients.sqs)] as const,
    ),
  );
  const queues = Object.fromEntries(entries) as { [S in ServiceName]: QueueEndpoints };

  const ruleArns = new Map<ServiceName, string[]>();
  for (const rule of routing.rules) {
    const { RuleArn: ruleArn } = await clients.eventBridge.send(
      new PutRuleCommand({
        Name: rule.name,
        EventBusName: routing.busName,
        EventPattern: JSON.stringify(rule.eventPattern),
        State: 'ENABLED',
        Description: `${rule.eventTypes.length} event type(s) from ${rule.from} to the ${rule.service} queue`,
      }),
    );
    if (ruleArn !== undefined) ruleArns.set(rule.service, [...(ruleArns.get(rule.service) ?? []), ruleArn]);
    const queue = queues[rule.service];
    const targets = await clients.eventBridge.send(
      new PutTargetsCommand({
        Rule: rule.name,
        EventBusName: routing.busName,
        Targets: [{ Id: `${rule.service}-queue`, Arn: queue.arn }],
      }),
    );
    if ((targets.FailedEntryCount ?? 0) > 0) {
      throw new Error(`PutTargets for ${rule.name} failed: ${JSON.stringify(targets.FailedEntries)}`);
    }
  }

  await removeStaleRules(routing, clients.eventBridge);

  for (const [service, arns] of ruleArns) {
    const queue = queues[service];
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queue.url,
        Attributes: { Policy: queuePolicy(queue.arn, arns) },
      }),
    );
  }

  await Promise.all(Object.values(routing.tables).map((table) => ensureTable(table, clients.dynamodb)));
  return { busArn, queues };
}

/**
 * Rules of this fleet that the definition no longer has (the catch-all `<prefix>-fleet-to-*` of
 * earlier versions, say) go: a stale rule would keep routing what the definition now refuses.
 */
async function removeStaleRules(
  routing: FleetRouting,
  eventBridge: RoutingClients['eventBridge'],
): Promise<void> {
  const wanted = new Set(routing.rules.map((rule) => rule.name));
  const existing: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await eventBridge.send(
      new ListRulesCommand({
        EventBusName: routing.busName,
        NamePrefix: `${routing.prefix}-`,
        NextToken: nextToken,
      }),
    );
    existing.push(...(page.Rules ?? []).flatMap((rule) => (rule.Name === undefined ? [] : [rule.Name])));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  for (const name of existing.filter((rule) => !wanted.has(rule))) {
    const { Targets } = await eventBridge.send(
      new ListTargetsByRuleCommand({ Rule: name, EventBusName: routing.busName }),
    );
    const ids = (Targets ?? []).flatMap((target) => (target.Id === undefined ? [] : [target.Id]));
    if (ids.length > 0) {
      await eventBridge.send(
        new RemoveTargetsCommand({ Rule: name, EventBusName: routing.busName, Ids: ids }),
      );
    }
    await eventBridge.send(new DeleteRuleCommand({ Name: name, EventBusName: routing.busName }));
  }
}

async function ensureBus(routing: FleetRouting, eventBridge: RoutingClients['eventBridge']): Promise<string> {
  try {
    await eventBridge.send(new CreateEventBusCommand({ Name: routing.busName }));
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }
  const bus = await eventBridge.send(new DescribeEventBusCommand({ Name: routing.busName }));
  if (bus.Arn === undefined) throw new Error(`event bus ${routing.busName} has no ARN`);
  try {
    await eventBridge.send(
      new CreateArchiveCommand({
        ArchiveName: routing.archive.name,
        EventSourceArn: bus.Arn,
        RetentionDays: routing.archive.retentionDays,
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }
  return bus.Arn;
}

async function ensureQueue(spec: QueueSpec, sqs: RoutingClients['sqs']): Promise<QueueEndpoints> {
  // Create bare, then set attributes: CreateQueue with attributes that differ from an existing
  // queue's fails, SetQueueAttributes converges.
  const dlq = await createQueue(spec.deadLetterQueueName, sqs);
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: dlq.url,
      Attributes: {
        MessageRetentionPeriod: String(spec.deadLetterRetentionSeconds),
        SqsManagedSseEnabled: 'true',
      },
    }),
  );
  const queue = await createQueue(spec.name, sqs);
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queue.url,
      Attributes: {
        VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(spec.retentionSeconds),
        ReceiveMessageWaitTimeSeconds: '20',
        SqsManagedSseEnabled: 'true',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlq.arn,
          maxReceiveCount: spec.maxReceiveCount,
        }),
      },
    }),
  );
  return { url: queue.url, arn: queue.arn, deadLetterQueueUrl: dlq.url, deadLetterQueueArn: dlq.arn };
}

async function createQueue(name: string, sqs: RoutingClients['sqs']): Promise<{ url: string; arn: string }> {
  const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (url === undefined) throw new Error(`CreateQueue ${name} returned no URL`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`queue ${name} has no ARN`);
  return { url, arn };
}

/** Only EventBridge, only from this queue's rules, may send to the queue. */
function queuePolicy(queueArn: string, ruleArns: string[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowFleetRule',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
      },
    ],
  });
}

async function waitUntilActive(tableName: string, dynamodb: RoutingClients['dynamodb']): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesReady = (Table?.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus !== 'CREATING',
    );
    if (Table?.TableStatus === 'ACTIVE' && indexesReady) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function ensureTable(spec: TableSpec, dynamodb: RoutingClients['dynamodb']): Promise<void> {
  const attributes = new Set<string>([spec.partitionKey]);
  if (spec.sortKey !== undefined) attributes.add(spec.sortKey);
  for (const index of spec.indexes) {
    attributes.add(index.partitionKey);
    if (index.sortKey !== undefined) attributes.add(index.sortKey);
  }
  const keySchema = (pk: string, sk: string | undefined) => [
    { AttributeName: pk, KeyType: 'HASH' as const },
    ...(sk === undefined ? [] : [{ AttributeName: sk, KeyType: 'RANGE' as const }]),
  ];
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: spec.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: keySchema(spec.partitionKey, spec.sortKey),
        ...(spec.indexes.length === 0
          ? {}
          : {
              GlobalSecondaryIndexes: spec.indexes.map((index) => ({
                IndexName: index.name,
                KeySchema: keySchema(index.partitionKey, index.sortKey),
                Projection: { ProjectionType: 'ALL' },
              })),
            }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilActive(spec.name, dynamodb);
  // A table made by an older version lacks the indexes added since (local state outlives
  // upgrades, ADR 0015): add them, one per update as DynamoDB requires.
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: spec.name }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of spec.indexes.filter((candidate) => !present.has(candidate.name))) {
    await dynamodb.send(
      new UpdateTableCommand({
        TableName: spec.name,
        AttributeDefinitions: [
          index.partitionKey,
          ...(index.sortKey === undefined ? [] : [index.sortKey]),
        ].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.name,
              KeySchema: keySchema(index.partitionKey, index.sortKey),
              Projection: { ProjectionType: 'ALL' },
            },
          },
        ],
      }),
    );
    await waitUntilActive(spec.name, dynamodb);
  }
  if (spec.ttlAttribute !== undefined) {
    const { TimeToLiveDescription: ttl } = await dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: spec.name }),
    );
    // Enabling it twice is an error on AWS.
    if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: spec.name,
        TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
      }),
    );
  }
}
