import { EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeAccessPointsCommand, EFSClient, type AccessPointDescription } from '@aws-sdk/client-efs';
import { ensureEmulatorAgentInfrastructure } from '../../scripts/emulator-agent-infra.ts';
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
 * What infra provides for the agents, made on the emulator for one fleet environment (the same
 * as the fleet command's `AGENT_RUNNER=ecs`: scripts/emulator-agent-infra.ts): the cluster
 * `ocf-<env>-agents`, the base task definition `ocf-<env>-agent` (Fargate, awsvpc, one agent
 * container), an EFS file system, and the default VPC's subnets and security group. Also the
 * calls tests make to look at ECS the way an operator would.
 */
export async function createAgentInfrastructure(environment: string) {
  const ecs = new ECSClient({});
  const efs = new EFSClient({});
  const ec2 = new EC2Client({});
  const made = await ensureEmulatorAgentInfrastructure(environment, { ecs, efs, ec2 });
  const { cluster, baseTaskDefinition, fileSystemId } = made;
  const subnets = [...made.subnets];
  const securityGroups = [...made.securityGroups];

  return {
    ecs,
    efs,
    cluster,
    baseTaskDefinition,
    fileSystemId,
    subnets,
    securityGroups,
    /** The settings the provisioning service needs for this infrastructure. */
    env: { ...made.env },
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
