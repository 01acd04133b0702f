import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { describe, it } from 'node:test';
import { FleetStack } from '../src/index.ts';
import { settingsFromContext } from '../src/settings.ts';
import {
  resourcesOf,
  sharedFleet,
  synthesizeFleet,
  TEST_DOMAIN_NAME,
  TEST_ENVIRONMENT,
  TEST_MODEL_ARNS,
  type CloudFormationTemplate,
} from './support/fleet.ts';

type Properties = Record<string, unknown>;
const all = (json: CloudFormationTemplate, type: string): Properties[] =>
  resourcesOf(json, type).map(([, resource]) => resource.Properties);
const prefix = `ocf-${TEST_ENVIRONMENT}`;

function service(json: CloudFormationTemplate, name: string): Properties {
  const found = all(json, 'AWS::ECS::Service').find((s) => s['ServiceName'] === `${prefix}-${name}`);
  assert.ok(found !== undefined, `no service ${prefix}-${name}`);
  return found;
}

function environmentOf(json: CloudFormationTemplate, family: string): Record<string, unknown> {
  const definition = all(json, 'AWS::ECS::TaskDefinition').find((d) => d['Family'] === family);
  assert.ok(definition !== undefined, `no task definition ${family}`);
  const [container] = definition['ContainerDefinitions'] as [
    { Environment: { Name: string; Value: unknown }[] },
  ];
  return Object.fromEntries(container.Environment.map((entry) => [entry.Name, entry.Value]));
}

interface Served {
  DiscoveryName: string;
  IngressPortOverride: number;
  Tls?: unknown;
}

function served(properties: Properties): Served[] {
  return (properties['ServiceConnectConfiguration'] as { Services?: Served[] } | undefined)?.Services ?? [];
}

describe('Synapse workers (synapseWorkers, off by default)', () => {
  const fleet = sharedFleet();
  const workers = synthesizeFleet({ synapseWorkers: { generic: 2, eventPersisters: 2 } });

  it('leaves the default template exactly as it is', () => {
    const zero = synthesizeFleet({ synapseWorkers: { generic: 0, eventPersisters: 0 } });
    assert.deepEqual(zero.json, fleet.json, 'zero workers is the default fleet');
    assert.deepEqual(all(fleet.json, 'AWS::ElastiCache::ReplicationGroup'), []);
    assert.ok(
      !all(fleet.json, 'AWS::ECS::Service').some((s) => /homeserver-/.test(String(s['ServiceName']))),
    );
    assert.equal(environmentOf(fleet.json, `${prefix}-homeserver`)['SYNAPSE_WORKERS'], undefined);
    // Workers only add to the fleet: every resource of the default fleet is still there.
    const withWorkers = new Set(Object.keys(workers.json.Resources));
    const missing = Object.keys(fleet.json.Resources).filter((id) => !withWorkers.has(id));
    assert.deepEqual(missing, []);
  });

  it('runs the event persisters and the generic workers as services of the homeserver image', () => {
    for (const name of ['event-persister-1', 'event-persister-2']) {
      const persister = service(workers.json, `homeserver-${name}`);
      assert.equal(persister['DesiredCount'], 1);
      const endpoints = served(persister);
      assert.equal(endpoints.length, 1);
      const endpoint = endpoints[0];
      assert.ok(endpoint !== undefined);
      assert.equal(endpoint.DiscoveryName, name);
      assert.equal(endpoint.IngressPortOverride, 19093, 'replication through the proxy, TLS');
      assert.ok(endpoint.Tls !== undefined);
      assert.equal(environmentOf(workers.json, `${prefix}-homeserver-${name}`)['SYNAPSE_WORKER_NAME'], name);
    }
    assert.equal(service(workers.json, 'homeserver-generic')['DesiredCount'], 2);
    const generic = environmentOf(workers.json, `${prefix}-homeserver-generic`);
    assert.equal(generic['SYNAPSE_WORKER_NAME_BY_HOST'], 'true');
    assert.equal(generic['SYNAPSE_WORKER_SERVES'], 'client');
    // The main process serves replication to them, through its proxy as well.
    assert.deepEqual(
      served(service(workers.json, 'homeserver')).map((s) => [s.DiscoveryName, s.IngressPortOverride]),
      [
        ['homeserver', 18008],
        ['homeserver-replication', 19093],
      ],
    );
    const shared = JSON.stringify(environmentOf(workers.json, `${prefix}-homeserver`)['SYNAPSE_WORKERS']);
    for (const expected of [
      'event-persister-1',
      'event-persister-2',
      'homeserver-replication',
      'eventWriters',
    ])
      assert.ok(shared.includes(expected), expected);
  });

  it('gives replication an ElastiCache Redis with TLS, encryption at rest and an auth token, from Synapse only', () => {
    const [redis] = all(workers.json, 'AWS::ElastiCache::ReplicationGroup');
    assert.ok(redis !== undefined);
    assert.equal(redis['TransitEncryptionEnabled'], true);
    assert.equal(redis['AtRestEncryptionEnabled'], true);
    assert.match(JSON.stringify(redis['AuthToken']), /resolve:secretsmanager/);
    const [redisGroup] =
      resourcesOf(workers.json, 'AWS::EC2::SecurityGroup').find(([, r]) =>
        String(r.Properties['GroupDescription']).startsWith('Synapse replication Redis'),
      ) ?? [];
    const ingress = all(workers.json, 'AWS::EC2::SecurityGroupIngress').filter((rule) =>
      JSON.stringify(rule['GroupId']).includes(String(redisGroup)),
    );
    assert.deepEqual(
      ingress.map((rule) => [
        rule['FromPort'],
        JSON.stringify(rule['SourceSecurityGroupId']).includes('Homeserver'),
      ]),
      [[6379, true]],
    );
  });

  it("routes the client endpoints a hire costs to the generic workers, over HTTPS, ahead of Synapse's own rule", () => {
    const rules = all(workers.json, 'AWS::ElasticLoadBalancingV2::ListenerRule').sort(
      (a, b) => Number(a['Priority']) - Number(b['Priority']),
    );
    const [groupId] =
      resourcesOf(workers.json, 'AWS::ElasticLoadBalancingV2::TargetGroup').find(([id]) =>
        id.includes('HomeserverWorkers'),
      ) ?? [];
    assert.ok(groupId !== undefined);
    const group = workers.json.Resources[groupId]?.Properties ?? {};
    assert.deepEqual(
      [group['Protocol'], group['Port'], group['HealthCheckProtocol']],
      ['HTTPS', 8448, 'HTTPS'],
    );
    const toWorkers = rules.filter((rule) => JSON.stringify(rule['Actions']).includes(groupId));
    assert.deepEqual(
      toWorkers.map((rule) => rule['Priority']),
      [11, 12],
    );
    const patterns = toWorkers.flatMap(
      (rule) =>
        (rule['Conditions'] as [{ PathPatternConfig: { Values: string[] } }])[0].PathPatternConfig.Values,
    );
    for (const endpoint of [
      '/_matrix/client/*/createRoom',
      '/_matrix/client/*/register',
      '/_matrix/client/*/rooms/*/send/*',
    ])
      assert.ok(patterns.includes(endpoint), endpoint);
    const matrixRule = rules.find((rule) => JSON.stringify(rule['Conditions']).includes('/_matrix/*'));
    assert.ok(Number(matrixRule?.['Priority']) > 12);
    // The bridge goes through that router too.
    assert.equal(
      environmentOf(workers.json, `${prefix}-bridge`)['MATRIX_HOMESERVER_URL'],
      `https://${TEST_DOMAIN_NAME}`,
    );
    assert.equal(
      environmentOf(fleet.json, `${prefix}-bridge`)['MATRIX_HOMESERVER_URL'],
      'http://homeserver:8008',
    );
  });

  it('needs TLS inside the VPC, and reads its counts from context', () => {
    assert.throws(
      () =>
        new FleetStack(new App(), 'ocf-plain-workers', {
          environment: TEST_ENVIRONMENT,
          modelArns: TEST_MODEL_ARNS,
          allowPlaintext: true,
          synapseWorkers: { generic: 1, eventPersisters: 1 },
          env: { region: 'us-east-1' },
        }),
      /synapseWorkers needs TLS inside the VPC/,
    );
    const app = new App({
      context: {
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/x',
        domainName: 'fleet.example.internal',
        synapseGenericWorkers: '3',
        synapseEventPersisters: '2',
      },
    });
    assert.deepEqual(settingsFromContext(app.node, {}).synapseWorkers, { generic: 3, eventPersisters: 2 });
    assert.equal(
      settingsFromContext(new App({ context: { allowPlaintext: 'true' } }).node, {}).synapseWorkers,
      undefined,
    );
    assert.throws(
      () =>
        settingsFromContext(
          new App({ context: { allowPlaintext: 'true', synapseGenericWorkers: '2' } }).node,
          {},
        ),
      /synapseGenericWorkers, synapseEventPersisters: need certificateArn/,
    );
  });
});
