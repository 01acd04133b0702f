import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
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
  return environmentOf(json, `ocf-${TEST_ENVIRONMENT}-agent`);
}

/** The environment of a task definition's containers, by name. */
function environmentOf(json: typeof fleet.json, family: string): Record<string, unknown> {
  const template = all(json, 'AWS::ECS::TaskDefinition').find(
    (definition) => definition['Family'] === family,
  );
  assert.ok(template !== undefined, `no task definition ${family}`);
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

  it('warns at every synth when plaintext is asked for', () => {
    const plain = synthesizeFleet({ certificateArn: undefined, domainName: undefined, allowPlaintext: true });
    Annotations.fromStack(plain.stack).hasWarning(
      '*',
      Match.stringLikeRegexp('allowPlaintext=true: API tokens, Matrix passwords .* travel in clear'),
    );
    Annotations.fromStack(fleet.stack).hasNoWarning('*', Match.stringLikeRegexp('allowPlaintext'));
  });

  it('issues service-to-service certificates from a private CA in short-lived mode', () => {
    const [authority] = all(fleet.json, 'AWS::ACMPCA::CertificateAuthority');
    assert.equal(all(fleet.json, 'AWS::ACMPCA::CertificateAuthority').length, 1);
    assert.ok(authority !== undefined);
    assert.equal(authority['UsageMode'], 'SHORT_LIVED_CERTIFICATE');
    assert.equal(authority['Type'], 'ROOT');
    const [activation] = all(fleet.json, 'AWS::ACMPCA::CertificateAuthorityActivation');
    assert.equal(activation?.['Status'], 'ACTIVE');
    // ECS (not any task) issues them, with the AWS-managed Service Connect TLS policy only.
    const role = all(fleet.json, 'AWS::IAM::Role').find((r) =>
      JSON.stringify(r['ManagedPolicyArns'] ?? []).includes('ServiceConnectTransportLayerSecurity'),
    );
    assert.ok(role !== undefined);
    assert.deepEqual(
      (role['AssumeRolePolicyDocument'] as { Statement: { Principal: unknown }[] }).Statement.map(
        (st) => st.Principal,
      ),
      [{ Service: 'ecs.amazonaws.com' }],
    );
  });

  it('puts bridge -> Synapse and Synapse -> bridge on Service Connect with TLS, and closes their plain ports', () => {
    const [authorityId] = resourcesOf(fleet.json, 'AWS::ACMPCA::CertificateAuthority').map(([id]) => id);
    const services = all(fleet.json, 'AWS::ECS::Service');
    const connect = (name: string) => {
      const service = services.find((s) => s['ServiceName'] === `ocf-${TEST_ENVIRONMENT}-${name}`);
      assert.ok(service !== undefined, name);
      return service['ServiceConnectConfiguration'] as
        | {
            Enabled: boolean;
            Services?: { DiscoveryName: string; IngressPortOverride: number; Tls: Properties }[];
          }
        | undefined;
    };
    for (const [name, discoveryName, tlsPort] of [
      ['homeserver', 'homeserver', 18008],
      ['bridge', 'bridge-appservice', 19009],
    ] as const) {
      const config = connect(name);
      assert.ok(config !== undefined, `${name} has no Service Connect`);
      assert.equal(config.Enabled, true, name);
      const [served] = config.Services ?? [];
      assert.ok(served !== undefined, `${name} serves nothing`);
      assert.equal(served.DiscoveryName, discoveryName);
      assert.equal(served.IngressPortOverride, tlsPort);
      assert.deepEqual(
        (served.Tls['IssuerCertificateAuthority'] as Properties)['AwsPcaAuthorityArn'],
        { 'Fn::GetAtt': [authorityId, 'Arn'] },
        `${name} serves TLS from the fleet CA`,
      );
      assert.ok(served.Tls['RoleArn'] !== undefined);
    }
    // The applications speak to their own proxy by the Service Connect names.
    assert.equal(
      environmentOf(fleet.json, `ocf-${TEST_ENVIRONMENT}-bridge`)['MATRIX_HOMESERVER_URL'],
      'http://homeserver:8008',
    );
    assert.equal(
      environmentOf(fleet.json, `ocf-${TEST_ENVIRONMENT}-homeserver`)['SYNAPSE_APPSERVICE_URL'],
      'http://bridge-appservice:9009',
    );
    // Security groups: between the two, only the proxies' TLS ports are open.
    const groupOf = (description: string) =>
      resourcesOf(fleet.json, 'AWS::EC2::SecurityGroup').find(([, r]) =>
        String(r.Properties['GroupDescription']).startsWith(description),
      )?.[0];
    const bridgeGroup = groupOf('The bridge service');
    const homeserverGroup = groupOf('Homeserver:');
    const between = all(fleet.json, 'AWS::EC2::SecurityGroupIngress')
      .filter((rule) => {
        const source = JSON.stringify(rule['SourceSecurityGroupId']);
        const target = JSON.stringify(rule['GroupId']);
        return (
          (source.includes(String(bridgeGroup)) && target.includes(String(homeserverGroup))) ||
          (source.includes(String(homeserverGroup)) && target.includes(String(bridgeGroup)))
        );
      })
      .map((rule) => rule['FromPort'])
      .sort();
    assert.deepEqual(between, [18008, 19009]);
  });

  it('sends agents to the model gateway through the HTTPS listener, and nowhere else', () => {
    assert.equal(agentEnvironment(fleet.json)['MODEL_GATEWAY_URL'], `https://${TEST_DOMAIN_NAME}`);
    const rule = all(fleet.json, 'AWS::ElasticLoadBalancingV2::ListenerRule').find((r) =>
      JSON.stringify(r['Conditions']).includes('/v1/chat/completions'),
    );
    assert.ok(rule !== undefined, 'a listener rule for the model gateway');
    const directoryRule = all(fleet.json, 'AWS::ElasticLoadBalancingV2::ListenerRule').find((r) =>
      JSON.stringify(r['Conditions']).includes('Bearer *'),
    );
    assert.ok(Number(rule['Priority']) < Number(directoryRule?.['Priority']), 'ahead of the directory');
    const gatewayGroup = resourcesOf(fleet.json, 'AWS::EC2::SecurityGroup').find(([, r]) =>
      String(r.Properties['GroupDescription']).startsWith('The model-gateway service'),
    )?.[0];
    const sources = all(fleet.json, 'AWS::EC2::SecurityGroupIngress')
      .filter((r) => JSON.stringify(r['GroupId']).includes(String(gatewayGroup)))
      .map((r) => JSON.stringify(r['SourceSecurityGroupId']));
    assert.ok(sources.length > 0);
    for (const source of sources)
      assert.match(source, /OperatorAccess/, 'only the load balancer may call the gateway');
  });

  it('in plaintext mode, keeps the direct hops and has no private CA or Service Connect', () => {
    const plain = synthesizeFleet({ certificateArn: undefined, domainName: undefined, allowPlaintext: true });
    assert.deepEqual(all(plain.json, 'AWS::ACMPCA::CertificateAuthority'), []);
    for (const service of all(plain.json, 'AWS::ECS::Service'))
      assert.equal(service['ServiceConnectConfiguration'], undefined);
    assert.match(String(agentEnvironment(plain.json)['MODEL_GATEWAY_URL']), /^http:\/\/model-gateway\./);
  });

  describe('load balancer -> targets (ADR 0027)', () => {
    const groupIdOf = (json: typeof fleet.json, description: string) =>
      resourcesOf(json, 'AWS::EC2::SecurityGroup').find(([, r]) =>
        String(r.Properties['GroupDescription']).startsWith(description),
      )?.[0];
    /** Ports the load balancer's group may open on `description`'s group. */
    const portsFromBalancer = (json: typeof fleet.json, description: string) => {
      const target = String(groupIdOf(json, description));
      return all(json, 'AWS::EC2::SecurityGroupIngress')
        .filter(
          (rule) =>
            JSON.stringify(rule['GroupId']).includes(target) &&
            JSON.stringify(rule['SourceSecurityGroupId']).includes('OperatorAccessSecurityGroup'),
        )
        .map((rule) => [rule['FromPort'], rule['ToPort']]);
    };
    const targetGroups = (json: typeof fleet.json) =>
      Object.fromEntries(
        resourcesOf(json, 'AWS::ElasticLoadBalancingV2::TargetGroup').map(([id, group]) => [
          id.replace(/^OperatorAccess(LoadBalancer)?(Https|Http)?/, '').replace(/Group[0-9A-F]{8}$/, ''),
          [group.Properties['Protocol'], group.Properties['Port'], group.Properties['HealthCheckProtocol']],
        ]),
      );

    it('forwards over HTTPS, health checks included, to where each target serves TLS', () => {
      assert.deepEqual(targetGroups(fleet.json), {
        Directory: ['HTTPS', 8080, 'HTTPS'],
        ModelGateway: ['HTTPS', 8080, 'HTTPS'],
        Homeserver: ['HTTPS', 8448, 'HTTPS'],
        // Element's static files: nothing secret either way (docs/security.md, boundary 8).
        MatrixWebClient: ['HTTP', 8080, 'HTTP'],
      });
    });

    it("opens only those TLS ports from the load balancer, never Synapse's plain 8008", () => {
      assert.deepEqual(portsFromBalancer(fleet.json, 'Homeserver:'), [[8448, 8448]]);
      assert.deepEqual(portsFromBalancer(fleet.json, 'The directory service'), [[8080, 8080]]);
      assert.deepEqual(portsFromBalancer(fleet.json, 'The model-gateway service'), [[8080, 8080]]);
      const fromBalancer = all(fleet.json, 'AWS::EC2::SecurityGroupEgress')
        .filter((rule) => JSON.stringify(rule['GroupId']).includes('OperatorAccessSecurityGroup'))
        .map((rule) => rule['FromPort']);
      assert.ok(
        !fromBalancer.includes(8008),
        `the load balancer may reach 8008: ${JSON.stringify(fromBalancer)}`,
      );
    });

    it('has the directory and the gateway serve HTTPS only (HTTP_TLS), and health-check themselves over it', () => {
      for (const name of ['directory', 'model-gateway']) {
        const family = `ocf-${TEST_ENVIRONMENT}-${name}`;
        assert.equal(environmentOf(fleet.json, family)['HTTP_TLS'], 'self-signed', name);
        const definition = all(fleet.json, 'AWS::ECS::TaskDefinition').find((d) => d['Family'] === family);
        const [container] = definition?.['ContainerDefinitions'] as [{ HealthCheck: { Command: string[] } }];
        assert.match(container.HealthCheck.Command.join(' '), /node:https.*rejectUnauthorized: false/, name);
      }
      // The others have no load balancer in front and stay as they were.
      assert.equal(environmentOf(fleet.json, `ocf-${TEST_ENVIRONMENT}-credentials`)['HTTP_TLS'], undefined);
    });

    it("maps Synapse's TLS listener port in its task", () => {
      const definition = all(fleet.json, 'AWS::ECS::TaskDefinition').find(
        (d) => d['Family'] === `ocf-${TEST_ENVIRONMENT}-homeserver`,
      );
      const [container] = definition?.['ContainerDefinitions'] as [
        { PortMappings: { ContainerPort: number }[] },
      ];
      assert.deepEqual(
        container.PortMappings.map((m) => m.ContainerPort),
        [8008, 8448],
      );
    });

    it('in plaintext mode, forwards in clear as the listener does', () => {
      const plain = synthesizeFleet({
        certificateArn: undefined,
        domainName: undefined,
        allowPlaintext: true,
      });
      assert.deepEqual(targetGroups(plain.json), {
        // (agents call the gateway directly in this mode)
        Directory: ['HTTP', 8080, 'HTTP'],
        Homeserver: ['HTTP', 8008, 'HTTP'],
        MatrixWebClient: ['HTTP', 8080, 'HTTP'],
      });
      assert.equal(environmentOf(plain.json, `ocf-${TEST_ENVIRONMENT}-directory`)['HTTP_TLS'], undefined);
    });
  });
});
