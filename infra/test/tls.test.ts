import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { FleetStack } from '../src/index.ts';
import {
  resourcesOf,
  sharedFleet,
  synthesizeFleet,
  TEST_CERTIFICATE_ARN,
  TEST_DOMAIN_NAME,
  TEST_ENVIRONMENT,
  TEST_MODEL_ARNS,
} from './support/fleet.ts';

type Properties = Record<string, unknown>;
const fleet = sharedFleet();
const all = (json: typeof fleet.json, type: string): Properties[] =>
  resourcesOf(json, type).map(([, resource]) => resource.Properties);

/** The environment of the agents' template container, by name. */
function agentEnvironment(json: typeof fleet.json): Record<string, unknown> {
  const template = all(json, 'AWS::ECS::TaskDefinition').find(
    (definition) => definition['Family'] === `ocf-${TEST_ENVIRONMENT}-agent`,
  );
  assert.ok(template !== undefined, 'no agent template');
  const containers = template['ContainerDefinitions'] as {
    Environment?: { Name: string; Value: unknown }[];
  }[];
  return Object.fromEntries(
    containers.flatMap((container) => container.Environment ?? []).map((entry) => [entry.Name, entry.Value]),
  );
}

describe('TLS wherever tokens or passwords travel', () => {
  it('refuses to synthesize without a certificate unless plaintext is asked for by name', () => {
    const attempt = (settings: Record<string, unknown>) => () =>
      new FleetStack(new App(), 'ocf-tls', {
        environment: TEST_ENVIRONMENT,
        modelArns: TEST_MODEL_ARNS,
        env: { region: 'us-east-1' },
        ...settings,
      });
    assert.throws(attempt({}), /certificateArn is required.*allowPlaintext=true/s);
    assert.throws(attempt({ allowPlaintext: false }), /certificateArn is required/);
    assert.throws(
      attempt({ certificateArn: TEST_CERTIFICATE_ARN }),
      /domainName is required with certificateArn/,
    );
  });

  it('listens on HTTPS only (443, the certificate, a TLS 1.2+ policy), never on plain HTTP', () => {
    const listeners = all(fleet.json, 'AWS::ElasticLoadBalancingV2::Listener');
    assert.deepEqual(
      listeners.map((listener) => [listener['Protocol'], listener['Port'], listener['Certificates']]),
      [['HTTPS', 443, [{ CertificateArn: TEST_CERTIFICATE_ARN }]]],
    );
    assert.match(String(listeners[0]?.['SslPolicy']), /^ELBSecurityPolicy-TLS13-1-2-/);
    const ingress = all(fleet.json, 'AWS::EC2::SecurityGroup')
      .filter((group) => String(group['GroupDescription']).startsWith('Internal load balancer'))
      .flatMap((group) => (group['SecurityGroupIngress'] as Properties[] | undefined) ?? []);
    assert.ok(ingress.length > 0);
    for (const rule of ingress) assert.equal(rule['FromPort'], 443);
  });

  it('sends agents to Matrix and the directory through that HTTPS listener, by the certificate name', () => {
    const environment = agentEnvironment(fleet.json);
    assert.equal(environment['MATRIX_HOMESERVER_URL'], `https://${TEST_DOMAIN_NAME}`);
    assert.equal(environment['DIRECTORY_URL'], `https://${TEST_DOMAIN_NAME}`);
    // ...and they have no other way to either: no rule lets agents reach 8008 or the directory port.
    const fromAgents = all(fleet.json, 'AWS::EC2::SecurityGroupEgress').filter((rule) =>
      JSON.stringify(rule['GroupId']).includes('AgentsTaskSecurityGroup'),
    );
    const ports = fromAgents.map((rule) => rule['FromPort']);
    assert.ok(!ports.includes(8008), `agents reach the homeserver directly: ${JSON.stringify(ports)}`);
    assert.ok(ports.includes(443));
  });

  it('in plaintext mode (asked for by name), listens on HTTP 80 and keeps the direct hops', () => {
    const plain = synthesizeFleet({ certificateArn: undefined, domainName: undefined, allowPlaintext: true });
    const listeners = all(plain.json, 'AWS::ElasticLoadBalancingV2::Listener');
    assert.deepEqual(
      listeners.map((listener) => [listener['Protocol'], listener['Port']]),
      [['HTTP', 80]],
    );
    assert.match(String(agentEnvironment(plain.json)['MATRIX_HOMESERVER_URL']), /^http:\/\/matrix\./);
  });
});
