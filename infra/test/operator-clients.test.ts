import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  resourcesOf,
  sharedFleet,
  synthesizeFleet,
  TEST_DOMAIN_NAME,
  TEST_ENVIRONMENT,
  type CloudFormationTemplate,
} from './support/fleet.ts';

type Properties = Record<string, unknown>;
const fleet = sharedFleet();
const all = (json: CloudFormationTemplate, type: string): Properties[] =>
  resourcesOf(json, type).map(([, resource]) => resource.Properties);
const serverName = `${TEST_ENVIRONMENT}.ocf.internal`;

function container(json: CloudFormationTemplate, family: string) {
  const definition = all(json, 'AWS::ECS::TaskDefinition').find((d) => d['Family'] === family);
  assert.ok(definition !== undefined, `no task definition ${family}`);
  const [first] = definition['ContainerDefinitions'] as [
    { Environment?: { Name: string; Value: unknown }[]; PortMappings: { ContainerPort: number }[] },
  ];
  return {
    environment: Object.fromEntries((first.Environment ?? []).map((e) => [e.Name, e.Value])),
    ports: first.PortMappings.map((m) => m.ContainerPort),
  };
}

/** A value CDK rendered with Fn::Join, with its literal parts only (tokens dropped). */
function literal(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join === undefined ? '' : join[1].map(literal).join(join[0]);
}

describe("the console's chat on AWS", () => {
  it('gives the directory the homeserver as browsers reach it and the server name (services/directory config)', () => {
    const { environment } = container(fleet.json, `ocf-${TEST_ENVIRONMENT}-directory`);
    assert.equal(environment['CONSOLE_HOMESERVER_URL'], `https://${TEST_DOMAIN_NAME}`);
    assert.equal(environment['MATRIX_SERVER_NAME'], serverName);
  });

  it("puts the CEO on every agent's DM allow-list (provisioning's AGENT_ORG_HUMANS), as the bridge's CEO", () => {
    const provisioning = container(fleet.json, `ocf-${TEST_ENVIRONMENT}-provisioning`).environment;
    const bridge = container(fleet.json, `ocf-${TEST_ENVIRONMENT}-bridge`).environment;
    assert.equal(provisioning['AGENT_ORG_HUMANS'], `@ceo:${serverName}`);
    assert.equal(provisioning['AGENT_ORG_HUMANS'], bridge['BRIDGE_CEO_USER_ID']);
  });
});

describe('Element, a full Matrix web client, for operators (issue 16)', () => {
  it("is Element's official image, pinned by version, built into the fleet's ECR", () => {
    const dockerfile = readFileSync(
      path.resolve(import.meta.dirname, '../docker/element-web/Dockerfile'),
      'utf8',
    );
    assert.match(dockerfile, /^ARG ELEMENT_IMAGE=vectorim\/element-web:v\d+\.\d+\.\d+$/m);
  });

  it("is configured for the fleet's homeserver and nothing else", () => {
    const { environment, ports } = container(fleet.json, `ocf-${TEST_ENVIRONMENT}-matrix-web-client`);
    assert.deepEqual(ports, [8080]);
    const config = JSON.parse(literal(environment['ELEMENT_CONFIG'])) as {
      default_server_config: { 'm.homeserver': { base_url: string; server_name: string } };
      disable_custom_urls: boolean;
      disable_guests: boolean;
    };
    assert.deepEqual(config.default_server_config['m.homeserver'], {
      base_url: `https://${TEST_DOMAIN_NAME}`,
      server_name: serverName,
    });
    assert.equal(config.disable_custom_urls, true);
    assert.equal(config.disable_guests, true);
  });

  it('is reachable only through the load balancer, under /element/', () => {
    const [groupId] =
      resourcesOf(fleet.json, 'AWS::EC2::SecurityGroup').find(([, r]) =>
        String(r.Properties['GroupDescription']).startsWith('Matrix web client'),
      ) ?? [];
    assert.ok(groupId !== undefined);
    const ingress = all(fleet.json, 'AWS::EC2::SecurityGroupIngress').filter((rule) =>
      JSON.stringify(rule['GroupId']).includes(groupId),
    );
    assert.deepEqual(
      ingress.map((rule) => [
        JSON.stringify(rule['SourceSecurityGroupId']).includes('OperatorAccess'),
        rule['FromPort'],
      ]),
      [[true, 8080]],
    );
    const rule = all(fleet.json, 'AWS::ElasticLoadBalancingV2::ListenerRule').find((r) =>
      JSON.stringify(r['Conditions']).includes('/element/*'),
    );
    assert.ok(rule !== undefined, 'a listener rule for /element');
    const [targetGroupId] =
      resourcesOf(fleet.json, 'AWS::ElasticLoadBalancingV2::TargetGroup').find(([id]) =>
        id.includes('MatrixWebClient'),
      ) ?? [];
    assert.match(JSON.stringify(rule['Actions']), new RegExp(String(targetGroupId)));
  });

  it('can be left out (matrixWebClient=false)', () => {
    const without = synthesizeFleet({ matrixWebClient: false });
    assert.equal(
      all(without.json, 'AWS::ECS::TaskDefinition').some((d) =>
        String(d['Family']).endsWith('matrix-web-client'),
      ),
      false,
    );
    assert.equal(
      JSON.stringify(all(without.json, 'AWS::ElasticLoadBalancingV2::ListenerRule')).includes('/element'),
      false,
    );
  });
});
