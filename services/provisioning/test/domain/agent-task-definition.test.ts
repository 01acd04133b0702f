import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { AGENT_STORAGE_VOLUME, agentTaskDefinition } from '../../src/domain/agent-task-definition.ts';

const base: TaskDefinition = {
  family: 'ocf-prod-agent',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/ocf-prod-agent:7',
  revision: 7,
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '1024',
  memory: '2048',
  taskRoleArn: 'arn:aws:iam::123456789012:role/ocf-prod-agent-task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/ocf-prod-agent-execution',
  containerDefinitions: [
    {
      name: 'secret-init',
      image: 'agent:1',
      essential: false,
      secrets: [
        {
          name: 'OCF_AGENT_SECRET',
          valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/prod/agents/_template-AAAAAA',
        },
      ],
    },
    {
      name: 'agent',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/ocf-agent:1.4.0',
      essential: true,
      mountPoints: [{ sourceVolume: 'scratch', containerPath: '/tmp' }],
    },
  ],
  volumes: [{ name: 'scratch' }],
  status: 'ACTIVE',
};
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/prod/agents/ada-lovelace-a1B2c3';
const input = {
  agentId: 'ada-lovelace',
  environment: 'prod',
  secretArn: SECRET,
  containerName: 'agent',
  mountPath: '/agent-data',
  storage: { fileSystemId: 'fs-0123456789abcdef0', accessPointId: 'fsap-0aa11bb22cc33dd44' },
};

describe("an agent's task definition", () => {
  it("mounts the agent's access point, with IAM auth and encryption in transit, in a family of its own", () => {
    const { request } = agentTaskDefinition(base, input);
    assert.equal(request.family, 'ocf-prod-agent-ada-lovelace');
    assert.deepEqual(request.volumes, [
      { name: 'scratch' },
      {
        name: AGENT_STORAGE_VOLUME,
        efsVolumeConfiguration: {
          fileSystemId: 'fs-0123456789abcdef0',
          rootDirectory: '/',
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: 'fsap-0aa11bb22cc33dd44', iam: 'ENABLED' },
        },
      },
    ]);
    const agent = request.containerDefinitions?.find((c) => c.name === 'agent');
    assert.deepEqual(agent?.mountPoints, [
      { sourceVolume: 'scratch', containerPath: '/tmp' },
      { sourceVolume: AGENT_STORAGE_VOLUME, containerPath: '/agent-data', readOnly: false },
    ]);
    const secretInit = request.containerDefinitions?.find((c) => c.name === 'secret-init');
    assert.equal(secretInit?.mountPoints, undefined, 'only the agent container sees the storage');
    assert.deepEqual(
      secretInit?.secrets,
      [{ name: 'OCF_AGENT_SECRET', valueFrom: SECRET }],
      "ECS resolves the agent's own secret (ADR 0008)",
    );
    assert.equal(agent.secrets, undefined, 'the agent container gets no secret');
    assert.equal(request.taskRoleArn, base.taskRoleArn);
    assert.equal(request.cpu, '1024');
    assert.deepEqual(Object.fromEntries((request.tags ?? []).map((t) => [t.key, t.value])), {
      'ocf:agent-id': 'ada-lovelace',
      'ocf:environment': 'prod',
      'ocf:managed-by': 'ocf-provisioning',
      'ocf:base-task-definition': base.taskDefinitionArn,
      'ocf:spec': agentTaskDefinition(base, input).spec,
    });
  });

  it('has the same spec for the same inputs, and a new one when the base, the storage or the secret changes', () => {
    const { spec } = agentTaskDefinition(base, input);
    assert.equal(agentTaskDefinition(structuredClone(base), { ...input }).spec, spec);
    assert.notEqual(agentTaskDefinition({ ...base, cpu: '2048' }, input).spec, spec);
    assert.notEqual(
      agentTaskDefinition(base, { ...input, storage: { ...input.storage, accessPointId: 'fsap-other' } })
        .spec,
      spec,
    );
    assert.notEqual(agentTaskDefinition(base, { ...input, secretArn: `${SECRET}x` }).spec, spec);
  });

  it('refuses a base without the agent container', () => {
    assert.throws(
      () => agentTaskDefinition(base, { ...input, containerName: 'nope' }),
      /no container "nope"/,
    );
  });
});
