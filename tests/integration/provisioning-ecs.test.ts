import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { createDynamoAgentStateStore } from '../../services/provisioning/src/adapters/dynamo-agent-state.ts';
import { createEcsTaskRunner, STARTED_BY } from '../../services/provisioning/src/adapters/ecs-task-runner.ts';
import { createEfsAgentStorage } from '../../services/provisioning/src/adapters/efs-agent-storage.ts';
import { AGENT_STORAGE_VOLUME } from '../../services/provisioning/src/domain/agent-task-definition.ts';
import { agentStateStoreContract } from '../../services/provisioning/test/support/agent-state-store-contract.ts';
import {
  createAgentInfrastructure,
  environmentOf,
  tagsOf,
  type AgentInfrastructure,
} from '../../services/provisioning/test/support/ecs-fixture.ts';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';

const clients = awsClients();
const secretArn = (agentId: string) =>
  `arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/${agentId}-a1B2c3`;

describe('provisioning state table on DynamoDB (moto)', () => {
  const routing = fleetRouting(uniqueEnvironment('prov-state'));
  before(async () => {
    await applyRouting(routing, clients);
  });
  let n = 0;
  agentStateStoreContract(
    () => createDynamoAgentStateStore(clients.dynamodb, routing.tables.provisioning.name),
    () => `agent-${++n}`,
  );
});

describe('ECS task runner with per-agent EFS storage (moto)', () => {
  const environment = uniqueEnvironment('prov-ecs');
  let infra: AgentInfrastructure;
  let runner: ReturnType<typeof createEcsTaskRunner>;
  let storage: ReturnType<typeof createEfsAgentStorage>;

  before(async () => {
    infra = await createAgentInfrastructure(environment);
    storage = createEfsAgentStorage({ efs: infra.efs, environment, fileSystemId: infra.fileSystemId });
    runner = createEcsTaskRunner({
      ecs: infra.ecs,
      storage,
      environment,
      cluster: infra.cluster,
      baseTaskDefinition: infra.baseTaskDefinition,
      mountPath: '/agent-data',
      subnets: infra.subnets,
      securityGroups: infra.securityGroups,
    });
  });
  after(() => {
    infra.destroy();
  });

  it('is ready when the cluster exists', async () => {
    await runner.check();
  });

  it('runs a Fargate task in a private subnet, tagged with the agent, its secret ARN in the environment', async () => {
    const { taskArn } = await runner.launch({
      agentId: 'ada',
      clientToken: 'ocf-token-ada-1',
      secretArn: secretArn('ada'),
    });
    const [task] = (await infra.tasksByAgent()).get('ada') ?? [];
    assert.equal(task?.taskArn, taskArn);
    assert.equal(task.lastStatus, 'RUNNING');
    assert.equal(task.launchType, 'FARGATE');
    assert.equal(task.startedBy, STARTED_BY);
    const tags = tagsOf(task);
    assert.deepEqual(
      { agent: tags['ocf:agent-id'], env: tags['ocf:environment'], by: tags['ocf:managed-by'] },
      { agent: 'ada', env: environment, by: 'ocf-provisioning' },
    );
    const variables = environmentOf(task);
    // The template resolves the secret into a file through secret-init (ADR 0008): no ARN, no value.
    assert.equal(variables['OCF_AGENT_SECRET_ARN'], undefined);
    const { taskDefinition } = await infra.taskDefinitionOf(task);
    const secretInit = taskDefinition?.containerDefinitions?.find((c) => c.name === 'secret-init');
    assert.deepEqual(secretInit?.secrets, [{ name: 'OCF_AGENT_SECRET', valueFrom: secretArn('ada') }]);
    assert.equal(variables['OCF_AGENT_ID'], 'ada');
    assert.ok(
      task.attachments?.[0]?.details?.some(
        (d) => d.name === 'subnetId' && infra.subnets.includes(d.value ?? ''),
      ),
      'in one of the private subnets',
    );
    assert.deepEqual(await runner.observe(), [
      { taskArn, agentId: 'ada', startedAt: task.createdAt?.toISOString() },
    ]);
  });

  it("mounts the agent's own access point, rooted at /agents/<id>, through its own task definition", async () => {
    await runner.launch({ agentId: 'bob', clientToken: 'ocf-token-bob-1', secretArn: secretArn('bob') });
    const byAgent = await infra.tasksByAgent();
    const mounts: Record<string, string> = {};
    for (const agentId of ['ada', 'bob']) {
      const [task] = byAgent.get(agentId) ?? [];
      assert.ok(task);
      const { taskDefinition, tags } = await infra.taskDefinitionOf(task);
      assert.ok(taskDefinition);
      assert.equal(taskDefinition.family, `${infra.baseTaskDefinition}-${agentId}`);
      assert.equal(tagsOf({ tags })['ocf:agent-id'], agentId);
      const efsConfig = taskDefinition.volumes?.find(
        (v) => v.name === AGENT_STORAGE_VOLUME,
      )?.efsVolumeConfiguration;
      assert.ok(efsConfig);
      assert.deepEqual(
        [efsConfig.fileSystemId, efsConfig.transitEncryption, efsConfig.authorizationConfig?.iam],
        [infra.fileSystemId, 'ENABLED', 'ENABLED'],
      );
      const accessPointId = efsConfig.authorizationConfig?.accessPointId ?? '';
      const mount = taskDefinition.containerDefinitions
        ?.find((c) => c.name === 'agent')
        ?.mountPoints?.find((m) => m.sourceVolume === AGENT_STORAGE_VOLUME);
      assert.equal(mount?.containerPath, '/agent-data');
      const accessPoint = await infra.accessPoint(accessPointId);
      assert.equal(accessPoint?.RootDirectory?.Path, `/agents/${agentId}`);
      assert.equal(accessPoint.RootDirectory.CreationInfo?.Permissions, '0700');
      assert.equal(accessPoint.Tags?.find((t) => t.Key === 'ocf:agent-id')?.Value, agentId);
      mounts[agentId] = accessPointId;
    }
    assert.notEqual(mounts['ada'], mounts['bob'], 'no two agents share an access point');
  });

  it('reuses the registered definition and access point on the next launch', async () => {
    const [before] = (await infra.tasksByAgent()).get('ada') ?? [];
    await runner.stop({ taskArn: before!.taskArn!, agentId: 'ada', reason: 'restart' });
    // A new runner: what provisioning is after a restart of its process.
    const successor = createEcsTaskRunner({
      ecs: infra.ecs,
      storage: createEfsAgentStorage({ efs: infra.efs, environment, fileSystemId: infra.fileSystemId }),
      environment,
      cluster: infra.cluster,
      baseTaskDefinition: infra.baseTaskDefinition,
      mountPath: '/agent-data',
      subnets: infra.subnets,
      securityGroups: infra.securityGroups,
    });
    await successor.launch({ agentId: 'ada', clientToken: 'ocf-token-ada-2', secretArn: secretArn('ada') });
    const [after] = (await infra.tasksByAgent()).get('ada') ?? [];
    assert.notEqual(after?.taskArn, before?.taskArn);
    assert.equal(after?.taskDefinitionArn, before?.taskDefinitionArn, 'no new revision');
    assert.equal((await infra.accessPointsAt('/agents/ada')).length, 1);
  });

  it('stops a task and releases the storage: access point gone, definition deregistered, data kept', async () => {
    const [task] = (await infra.tasksByAgent()).get('bob') ?? [];
    await runner.stop({ taskArn: task!.taskArn!, agentId: 'bob', reason: 'retired' });
    await runner.stop({ taskArn: task!.taskArn!, agentId: 'bob', reason: 'retired' });
    assert.deepEqual(
      (await runner.observe()).map((t) => t.agentId),
      ['ada'],
    );
    const { archiveLocation } = await runner.releaseStorage('bob');
    assert.equal(archiveLocation, `efs://${infra.fileSystemId}/agents/bob`);
    assert.equal(await storage.find('bob'), undefined);
    const { taskDefinition } = await infra.taskDefinitionOf(task!);
    assert.equal(taskDefinition?.status, 'INACTIVE');
  });

  it('refuses a launch against a cluster that does not exist, as a permanent failure', async () => {
    const broken = createEcsTaskRunner({
      ecs: infra.ecs,
      storage,
      environment,
      cluster: 'no-such-cluster',
      baseTaskDefinition: infra.baseTaskDefinition,
      mountPath: '/agent-data',
      subnets: infra.subnets,
      securityGroups: infra.securityGroups,
    });
    await assert.rejects(broken.check());
    await assert.rejects(
      broken.launch({ agentId: 'cy', clientToken: 'ocf-token-cy', secretArn: secretArn('cy') }),
      (error: Error & { retryable?: boolean }) => error.retryable === false,
    );
  });
});
