import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  CreateFileSystemCommand,
  DescribeAccessPointsCommand,
  EFSClient,
  type AccessPointDescription,
} from '@aws-sdk/client-efs';
import { STARTED_BY } from '../../src/adapters/ecs-task-runner.ts';

/** A task's (or definition's) tags as a plain record. */
export function tagsOf(resource: {
  tags?: readonly { key?: string | undefined; value?: string | undefined }[] | undefined;
}): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const { key, value } of resource.tags ?? [])
    if (key !== undefined && value !== undefined) tags[key] = value;
  return tags;
}

/** The environment a task's agent container was given (RunTask overrides). */
export function environmentOf(task: Task): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const { name, value } of task.overrides?.containerOverrides?.[0]?.environment ?? []) {
    if (name !== undefined && value !== undefined) variables[name] = value;
  }
  return variables;
}

/**
 * What infra provides for the agents, made on the emulator for one fleet environment: the
 * cluster `ocf-<env>-agents`, the base task definition `ocf-<env>-agent` (Fargate, awsvpc, one
 * agent container), an EFS file system, and the default VPC's subnets and security group. Also
 * the calls tests make to look at ECS the way an operator would.
 */
export async function createAgentInfrastructure(environment: string) {
  const ecs = new ECSClient({});
  const efs = new EFSClient({});
  const ec2 = new EC2Client({});
  const cluster = `ocf-${environment}-agents`;
  const baseTaskDefinition = `ocf-${environment}-agent`;
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: baseTaskDefinition,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '1024',
      memory: '2048',
      taskRoleArn: `arn:aws:iam::123456789012:role/ocf-${environment}-agent-task`,
      executionRoleArn: `arn:aws:iam::123456789012:role/ocf-${environment}-agent-execution`,
      volumes: [
        {
          name: 'agent-storage',
          efsVolumeConfiguration: {
            fileSystemId: 'fs-template',
            transitEncryption: 'ENABLED',
            authorizationConfig: { iam: 'ENABLED' },
          },
        },
        { name: 'agent-secret' },
      ],
      // As infra's template (ADR 0008): secret-init writes the agent's secret to a file and exits.
      containerDefinitions: [
        {
          name: 'secret-init',
          image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/ocf-agent:test`,
          essential: false,
          memory: 128,
          secrets: [
            {
              name: 'OCF_AGENT_SECRET',
              valueFrom: `arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/${environment}/agents/_template-AAAAAA`,
            },
          ],
          mountPoints: [{ sourceVolume: 'agent-secret', containerPath: '/run/ocf/agent-secret' }],
        },
        {
          name: 'agent',
          image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/ocf-agent:test`,
          essential: true,
          // The emulator wants a container memory setting even on Fargate.
          memory: 2048,
          environment: [{ name: 'MATRIX_HOMESERVER_URL', value: 'http://synapse.internal:8008' }],
          mountPoints: [
            { sourceVolume: 'agent-storage', containerPath: '/agent-data' },
            { sourceVolume: 'agent-secret', containerPath: '/run/ocf/agent-secret', readOnly: true },
          ],
          dependsOn: [{ containerName: 'secret-init', condition: 'SUCCESS' }],
        },
      ],
    }),
  );
  const { FileSystemId: fileSystemId } = await efs.send(
    new CreateFileSystemCommand({ CreationToken: `ocf-${environment}-agents`, Encrypted: true }),
  );
  const { Subnets = [] } = await ec2.send(new DescribeSubnetsCommand({}));
  const { SecurityGroups = [] } = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
  );
  const subnets = Subnets.slice(0, 2).map((s) => s.SubnetId ?? '');
  const securityGroups = SecurityGroups.slice(0, 1).map((g) => g.GroupId ?? '');
  if (fileSystemId === undefined || subnets.length === 0 || securityGroups.length === 0) {
    throw new Error('the emulator has no default VPC or could not make a file system');
  }

  return {
    ecs,
    efs,
    cluster,
    baseTaskDefinition,
    fileSystemId,
    subnets,
    securityGroups,
    /** The settings the provisioning service needs for this infrastructure. */
    env: {
      AGENT_RUNNER: 'ecs',
      AGENT_CLUSTER: cluster,
      AGENT_TASK_DEFINITION: baseTaskDefinition,
      AGENT_CONTAINER_NAME: 'agent',
      AGENT_FILE_SYSTEM_ID: fileSystemId,
      AGENT_SUBNETS: subnets.join(','),
      AGENT_SECURITY_GROUPS: securityGroups.join(','),
    },
    /** Every task provisioning started on the cluster, described with tags. */
    async tasks(desiredStatus: 'RUNNING' | 'STOPPED' = 'RUNNING'): Promise<Task[]> {
      const { taskArns = [] } = await ecs.send(
        new ListTasksCommand({ cluster, startedBy: STARTED_BY, desiredStatus }),
      );
      if (taskArns.length === 0) return [];
      const described: Task[] = [];
      for (let i = 0; i < taskArns.length; i += 100) {
        const { tasks = [] } = await ecs.send(
          new DescribeTasksCommand({ cluster, tasks: taskArns.slice(i, i + 100), include: ['TAGS'] }),
        );
        described.push(...tasks);
      }
      return described;
    },
    /** Running tasks by agent id. */
    async tasksByAgent(): Promise<Map<string, Task[]>> {
      const byAgent = new Map<string, Task[]>();
      for (const task of await this.tasks()) {
        const agentId = task.tags?.find((t) => t.key === 'ocf:agent-id')?.value ?? '(none)';
        byAgent.set(agentId, [...(byAgent.get(agentId) ?? []), task]);
      }
      return byAgent;
    },
    /** Someone stops a task behind the fleet's back. */
    async stopBehindTheFleetsBack(taskArn: string): Promise<void> {
      await ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason: 'stopped by a test' }));
    },
    async taskDefinitionOf(task: Task) {
      const { taskDefinition, tags } = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn, include: ['TAGS'] }),
      );
      return { taskDefinition, tags };
    },
    async accessPoint(accessPointId: string): Promise<AccessPointDescription | undefined> {
      const { AccessPoints = [] } = await efs.send(
        new DescribeAccessPointsCommand({ AccessPointId: accessPointId }),
      );
      return AccessPoints[0];
    },
    /** Access points of the file system rooted at `path`. */
    async accessPointsAt(path: string): Promise<AccessPointDescription[]> {
      const { AccessPoints = [] } = await efs.send(
        new DescribeAccessPointsCommand({ FileSystemId: fileSystemId }),
      );
      return AccessPoints.filter((ap) => ap.RootDirectory?.Path === path);
    },
    destroy(): void {
      ecs.destroy();
      efs.destroy();
      ec2.destroy();
    },
  };
}

export type AgentInfrastructure = Awaited<ReturnType<typeof createAgentInfrastructure>>;
