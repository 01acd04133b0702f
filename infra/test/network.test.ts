import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinedText, resourcesOf, sharedFleet } from './support/fleet.ts';

const fleet = sharedFleet();
type Properties = Record<string, unknown>;
const all = (type: string): Properties[] =>
  resourcesOf(fleet.json, type).map(([, resource]) => resource.Properties);
const groupIdsByDescription = new Map(
  resourcesOf(fleet.json, 'AWS::EC2::SecurityGroup').map(([id, group]) => [
    String(group.Properties['GroupDescription']),
    id,
  ]),
);
const groupId = (descriptionStart: string): string => {
  const found = [...groupIdsByDescription].find(([description]) => description.startsWith(descriptionStart));
  assert.ok(found !== undefined, `no security group "${descriptionStart}..."`);
  return found[1];
};
const ingressTo = (group: string): Properties[] =>
  all('AWS::EC2::SecurityGroupIngress').filter((rule) =>
    JSON.stringify(rule['GroupId']).includes(`"${group}"`),
  );

describe('network', () => {
  it('has isolated subnets only: no internet gateway, no NAT, no public addresses', () => {
    assert.equal(all('AWS::EC2::InternetGateway').length, 0);
    assert.equal(all('AWS::EC2::NatGateway').length, 0);
    for (const subnet of all('AWS::EC2::Subnet')) assert.equal(subnet['MapPublicIpOnLaunch'], false);
    for (const service of all('AWS::ECS::Service')) {
      const network = service['NetworkConfiguration'] as { AwsvpcConfiguration: Properties };
      assert.equal(network.AwsvpcConfiguration['AssignPublicIp'], 'DISABLED');
    }
  });

  it('reaches every AWS API the tasks call through a VPC endpoint', () => {
    const endpoints = all('AWS::EC2::VPCEndpoint').map((endpoint) =>
      joinedText(endpoint['ServiceName']).replace(/^com\.amazonaws\.[^.]+\./, ''),
    );
    assert.deepEqual(endpoints.sort(), [
      'bedrock-runtime',
      'dynamodb',
      'ecr.api',
      'ecr.dkr',
      'ecs',
      'elasticfilesystem',
      'events',
      'logs',
      'monitoring',
      's3',
      'secretsmanager',
      'sqs',
    ]);
  });

  it('opens no security group to the internet, in or out', () => {
    for (const group of all('AWS::EC2::SecurityGroup')) {
      for (const rule of [
        ...((group['SecurityGroupIngress'] as Properties[] | undefined) ?? []),
        ...((group['SecurityGroupEgress'] as Properties[] | undefined) ?? []),
      ]) {
        assert.notEqual(rule['CidrIp'], '0.0.0.0/0', String(group['GroupDescription']));
        assert.equal(rule['CidrIpv6'], undefined, String(group['GroupDescription']));
      }
    }
    for (const rule of [...all('AWS::EC2::SecurityGroupIngress'), ...all('AWS::EC2::SecurityGroupEgress')]) {
      assert.notEqual(rule['CidrIp'], '0.0.0.0/0');
    }
  });

  it('lets into the homeserver only the bridge and the load balancer (agents come through its HTTPS)', () => {
    const sources = ingressTo(groupId('Homeserver:')).map((rule) =>
      JSON.stringify(rule['SourceSecurityGroupId']),
    );
    const expected = [groupId('The bridge service'), groupId('Internal load balancer')];
    assert.deepEqual(
      sources.sort(),
      expected.map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'GroupId'] })).sort(),
    );
  });

  it('lets into the directory only the load balancer (agents come through its HTTPS)', () => {
    const sources = ingressTo(groupId('The directory service')).map((rule) =>
      JSON.stringify(rule['SourceSecurityGroupId']),
    );
    const expected = [groupId('Internal load balancer')];
    assert.deepEqual(
      sources.sort(),
      expected.map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'GroupId'] })).sort(),
    );
  });

  it("lets into the bridge only Synapse's application-service transactions, on its proxy's TLS port", () => {
    const rules = ingressTo(groupId('The bridge service')).map((rule) => [
      JSON.stringify(rule['SourceSecurityGroupId']),
      rule['FromPort'],
    ]);
    assert.deepEqual(rules, [[JSON.stringify({ 'Fn::GetAtt': [groupId('Homeserver:'), 'GroupId'] }), 19009]]);
  });

  it('lets nothing into agents, the credentials, provisioning or health services', () => {
    for (const description of [
      'Agent tasks',
      'The credentials service',
      'The provisioning service',
      'The health service',
    ]) {
      assert.deepEqual(ingressTo(groupId(description)), [], description);
    }
  });

  it('keeps the load balancer internal, and never forwards an anonymous call or the Synapse admin API', () => {
    const [balancer] = all('AWS::ElasticLoadBalancingV2::LoadBalancer');
    assert.equal(balancer?.['Scheme'], 'internal');
    const [listener] = all('AWS::ElasticLoadBalancingV2::Listener');
    const [defaultAction] = listener?.['DefaultActions'] as [
      { Type: string; FixedResponseConfig: Properties },
    ];
    assert.deepEqual(
      [defaultAction.Type, defaultAction.FixedResponseConfig['StatusCode']],
      ['fixed-response', '401'],
    );

    const rules = all('AWS::ElasticLoadBalancingV2::ListenerRule').sort(
      (a, b) => Number(a['Priority']) - Number(b['Priority']),
    );
    const summary = rules.map((rule) => {
      const [condition] = rule['Conditions'] as [Properties];
      const [action] = rule['Actions'] as [{ Type: string; FixedResponseConfig?: Properties }];
      return [condition['Field'], action.Type, action.FixedResponseConfig?.['StatusCode']];
    });
    assert.deepEqual(summary, [
      ['path-pattern', 'fixed-response', '403'], // /_synapse/admin*, before anything is forwarded
      ['path-pattern', 'forward', undefined], // the Matrix client API
      ['path-pattern', 'forward', undefined], // the model gateway, for agents (ADR 0026)
      ['http-header', 'forward', undefined], // the directory, with a bearer token only
      ['path-pattern', 'forward', undefined], // the web console's page and assets, no data
      ['path-pattern', 'forward', undefined], // Element's static files (issue 16)
    ]);
    assert.deepEqual((rules[5]?.['Conditions'] as Properties[])[0]?.['PathPatternConfig'], {
      Values: ['/element', '/element/*'],
    });
    assert.deepEqual((rules[2]?.['Conditions'] as Properties[])[0]?.['PathPatternConfig'], {
      Values: ['/v1/chat/completions', '/v1/models'],
    });
    assert.deepEqual((rules[4]?.['Conditions'] as Properties[])[0]?.['PathPatternConfig'], {
      Values: ['/console', '/console/*'],
    });
    // The console goes to the directory's own targets, not to a target group of its own.
    const forwardedTo = (rule: Properties | undefined) =>
      JSON.stringify((rule?.['Actions'] as [{ TargetGroupArn: unknown }])[0].TargetGroupArn);
    assert.equal(forwardedTo(rules[4]), forwardedTo(rules[3]));
    assert.deepEqual((rules[0]?.['Conditions'] as Properties[])[0]?.['PathPatternConfig'], {
      Values: ['/_synapse/admin*'],
    });
    assert.deepEqual((rules[3]?.['Conditions'] as Properties[])[0]?.['HttpHeaderConfig'], {
      HttpHeaderName: 'Authorization',
      Values: ['Bearer *'],
    });
  });
});
