import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICE_NAMES, fleetRouting, subscribedEventTypes } from '@ocf/routing';
import { onlyResourceOf, resourcesOf, sharedFleet, TEST_ENVIRONMENT } from './support/fleet.ts';

const fleet = sharedFleet();
const routing = fleetRouting(TEST_ENVIRONMENT);

type Properties = Record<string, unknown>;
const queues = new Map(
  resourcesOf(fleet.json, 'AWS::SQS::Queue').map(
    ([id, queue]) => [id, queue.Properties] as [string, Properties],
  ),
);
const queueIdByName = new Map([...queues].map(([id, properties]) => [properties['QueueName'] as string, id]));
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

describe('event routing, read from shared/routing', () => {
  it('creates the bus and archives every event on it for replay', () => {
    const [busId, bus] = onlyResourceOf(fleet.json, 'AWS::Events::EventBus');
    assert.equal(bus.Properties['Name'], routing.busName);
    fleet.template.hasResourceProperties('AWS::Events::Archive', {
      ArchiveName: routing.archive.name,
      RetentionDays: routing.archive.retentionDays,
      SourceArn: arnOf(busId),
    });
  });

  it('has exactly one rule per subscription, with the pattern eventPattern() gives it', () => {
    const rules = new Map(
      resourcesOf(fleet.json, 'AWS::Events::Rule').map(([, rule]) => [
        rule.Properties['Name'] as string,
        rule.Properties,
      ]),
    );
    assert.deepEqual([...rules.keys()].sort(), routing.rules.map((rule) => rule.name).sort());
    for (const spec of routing.rules) {
      const rule = rules.get(spec.name)!;
      assert.deepEqual(rule['EventPattern'], JSON.parse(JSON.stringify(spec.eventPattern)), spec.name);
      const targets = rule['Targets'] as { Arn: unknown; DeadLetterConfig?: { Arn: unknown } }[];
      const queue = routing.queues[spec.service];
      assert.deepEqual(
        targets.map((target) => [target.Arn, target.DeadLetterConfig?.Arn]),
        [[arnOf(queueIdByName.get(queue.name)!), arnOf(queueIdByName.get(queue.deadLetterQueueName)!)]],
        `${spec.name} targets the ${spec.service} queue, with its DLQ for failed deliveries`,
      );
    }
  });

  it("routes to each service's queue exactly the event types it handles", () => {
    const rules = resourcesOf(fleet.json, 'AWS::Events::Rule').map(([, rule]) => rule.Properties);
    for (const service of SERVICE_NAMES) {
      const queueArn = arnOf(queueIdByName.get(routing.queues[service].name)!);
      const routed = rules
        .filter((rule) =>
          (rule['Targets'] as { Arn: unknown }[]).some(
            (t) => JSON.stringify(t.Arn) === JSON.stringify(queueArn),
          ),
        )
        .flatMap((rule) => (rule['EventPattern'] as { 'detail-type': string[] })['detail-type']);
      assert.deepEqual([...new Set(routed)].sort(), [...subscribedEventTypes(service)].sort(), service);
    }
  });

  it('gives every queue a dead-letter queue, and no queue the routing does not know', () => {
    const expected = SERVICE_NAMES.flatMap((s) => [
      routing.queues[s].name,
      routing.queues[s].deadLetterQueueName,
    ]);
    assert.deepEqual([...queueIdByName.keys()].sort(), expected.sort());
    for (const service of SERVICE_NAMES) {
      const spec = routing.queues[service];
      const queue = queues.get(queueIdByName.get(spec.name)!)!;
      assert.deepEqual(queue['RedrivePolicy'], {
        deadLetterTargetArn: arnOf(queueIdByName.get(spec.deadLetterQueueName)!),
        maxReceiveCount: spec.maxReceiveCount,
      });
      assert.equal(queue['VisibilityTimeout'], spec.visibilityTimeoutSeconds);
      assert.equal(queue['MessageRetentionPeriod'], spec.retentionSeconds);
      const deadLetters = queues.get(queueIdByName.get(spec.deadLetterQueueName)!)!;
      assert.equal(deadLetters['MessageRetentionPeriod'], spec.deadLetterRetentionSeconds);
    }
  });

  it("lets EventBridge write to each queue only from that queue's own rules (aws:SourceArn)", () => {
    const policies = resourcesOf(fleet.json, 'AWS::SQS::QueuePolicy').map(([, policy]) => policy.Properties);
    const ruleIds = new Map(
      resourcesOf(fleet.json, 'AWS::Events::Rule').map(([id, rule]) => [
        id,
        rule.Properties['Name'] as string,
      ]),
    );
    for (const service of SERVICE_NAMES) {
      for (const name of [routing.queues[service].name, routing.queues[service].deadLetterQueueName]) {
        const id = queueIdByName.get(name)!;
        const statements = policies
          .filter((p) => (p['Queues'] as { Ref: string }[]).some((q) => q.Ref === id))
          .flatMap((p) => (p['PolicyDocument'] as { Statement: Properties[] }).Statement)
          .filter((st) => st['Effect'] === 'Allow');
        assert.ok(statements.length > 0, name);
        const pinnedTo = statements.map((st) => {
          assert.deepEqual(st['Principal'], { Service: 'events.amazonaws.com' }, name);
          const conditions = st['Condition'] as {
            ArnEquals?: { 'aws:SourceArn': { 'Fn::GetAtt': [string, string] } };
          };
          assert.deepEqual(
            Object.keys(conditions),
            ['ArnEquals'],
            `${name}: pinned by rule ARN, nothing looser`,
          );
          return ruleIds.get(conditions.ArnEquals!['aws:SourceArn']['Fn::GetAtt'][0]);
        });
        assert.deepEqual(
          pinnedTo.sort(),
          routing.rules
            .filter((rule) => rule.service === service)
            .map((rule) => rule.name)
            .sort(),
          name,
        );
      }
    }
  });

  it("encrypts every queue with the fleet's key and refuses it anything but TLS", () => {
    const [keyId] = onlyResourceOf(fleet.json, 'AWS::KMS::Key');
    const policies = resourcesOf(fleet.json, 'AWS::SQS::QueuePolicy').map(([, policy]) => policy.Properties);
    for (const [id, queue] of queues) {
      assert.deepEqual(queue['KmsMasterKeyId'], arnOf(keyId), `${String(queue['QueueName'])} encryption`);
      const policy = policies.find((p) => (p['Queues'] as { Ref: string }[]).some((q) => q.Ref === id));
      const statements =
        (policy?.['PolicyDocument'] as { Statement: Properties[] } | undefined)?.Statement ?? [];
      assert.ok(
        statements.some(
          (s) =>
            s['Effect'] === 'Deny' &&
            JSON.stringify(s['Condition']) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
        ),
        `${String(queue['QueueName'])} refuses plain HTTP`,
      );
    }
  });

  it('creates every table of the routing with its keys, indexes and TTL, point-in-time recovery on', () => {
    const tables = new Map(
      resourcesOf(fleet.json, 'AWS::DynamoDB::Table').map(([, t]) => [
        t.Properties['TableName'] as string,
        t.Properties,
      ]),
    );
    const specs = Object.values(routing.tables);
    assert.deepEqual([...tables.keys()].sort(), specs.map((spec) => spec.name).sort());
    const keySchema = (pk: string, sk?: string) => [
      { AttributeName: pk, KeyType: 'HASH' },
      ...(sk === undefined ? [] : [{ AttributeName: sk, KeyType: 'RANGE' }]),
    ];
    for (const spec of specs) {
      const table = tables.get(spec.name)!;
      assert.deepEqual(table['KeySchema'], keySchema(spec.partitionKey, spec.sortKey), spec.name);
      assert.equal(table['BillingMode'], 'PAY_PER_REQUEST');
      assert.deepEqual(
        table['PointInTimeRecoverySpecification'],
        { PointInTimeRecoveryEnabled: true },
        spec.name,
      );
      const indexes =
        (table['GlobalSecondaryIndexes'] as { IndexName: string; KeySchema: unknown }[] | undefined) ?? [];
      assert.deepEqual(
        indexes.map((index) => [index.IndexName, index.KeySchema]),
        spec.indexes.map((index) => [index.name, keySchema(index.partitionKey, index.sortKey)]),
        spec.name,
      );
      assert.deepEqual(
        table['TimeToLiveSpecification'],
        spec.ttlAttribute === undefined ? undefined : { AttributeName: spec.ttlAttribute, Enabled: true },
        spec.name,
      );
    }
  });
});
