// What infra provides for AGENT_RUNNER=ecs, made on the AWS emulator (moto) for one fleet:
//   OCF_ENV=<env> AWS_ENDPOINT_URL=<moto> node services/provisioning/scripts/emulator-agent-infra.ts
// prints the provisioning settings for it as JSON ({"AGENT_RUNNER": "ecs", "AGENT_CLUSTER": ...}).
// The fleet command runs it for `AGENT_RUNNER=ecs pnpm fleet up`; the ECS tests use the function.
// Idempotent: what exists already is reused, so a second `up` changes nothing. Never against AWS:
// there, infra (CDK) makes all of this, with real roles, private subnets and an EFS file system.
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { CreateFileSystemCommand, DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';

export interface EmulatorAgentInfrastructure {
  readonly cluster: string;
  readonly baseTaskDefinition: string;
  readonly fileSystemId: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  /** The settings provisioning (and, for the cluster, health) needs for it. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The cluster `ocf-<env>-agents`; the base task definition `ocf-<env>-agent` shaped like infra's
 * template (Fargate, awsvpc, a secret-init container and the agent container, the storage and
 * secret volumes, task and execution role ARNs: ADR 0008, ADR 0010); an EFS file system; and the
 * emulator's default VPC subnets and security group as the agents' network. The roles are ARNs
 * only (moto's ECS does not look them up) and the image is never pulled: moto runs no container.
 */
export async function ensureEmulatorAgentInfrastructure(
  environment: string,
  clients: { ecs: ECSClient; efs: EFSClient; ec2: EC2Client },
  { region = process.env['AWS_REGION'] ?? 'us-east-1', account = '123456789012' } = {},
): Promise<EmulatorAgentInfrastructure> {
  const { ecs, efs, ec2 } = clients;
  const cluster = `ocf-${environment}-agents`;
  const baseTaskDefinition = `ocf-${environment}-agent`;

  const { clusters = [] } = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
  if (clusters[0]?.status !== 'ACTIVE') await ecs.send(new CreateClusterCommand({ clusterName: cluster }));

  if (!(await taskDefinitionExists(ecs, baseTaskDefinition))) {
    const image = `${account}.dkr.ecr.${region}.amazonaws.com/ocf-agent:emulator`;
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: baseTaskDefinition,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '1024',
        memory: '2048',
        taskRoleArn: `arn:aws:iam::${account}:role/ocf-${environment}-agent-task`,
        executionRoleArn: `arn:aws:iam::${account}:role/ocf-${environment}-agent-execution`,
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
            image,
            essential: false,
            memory: 128,
            secrets: [
              {
                name: 'OCF_AGENT_SECRET',
                valueFrom: `arn:aws:secretsmanager:${region}:${account}:secret:ocf/${environment}/agents/_template-AAAAAA`,
              },
            ],
            mountPoints: [{ sourceVolume: 'agent-secret', containerPath: '/run/ocf/agent-secret' }],
          },
          {
            name: 'agent',
            image,
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
  }

  const creationToken = `ocf-${environment}-agents`;
  const { FileSystems = [] } = await efs.send(
    new DescribeFileSystemsCommand({ CreationToken: creationToken }),
  );
  let fileSystemId = FileSystems[0]?.FileSystemId;
  if (fileSystemId === undefined) {
    ({ FileSystemId: fileSystemId } = await efs.send(
      new CreateFileSystemCommand({ CreationToken: creationToken, Encrypted: true }),
    ));
  }

  const { Subnets = [] } = await ec2.send(new DescribeSubnetsCommand({}));
  const { SecurityGroups = [] } = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
  );
  const subnets = Subnets.slice(0, 2).flatMap((s) => (s.SubnetId === undefined ? [] : [s.SubnetId]));
  const securityGroups = SecurityGroups.slice(0, 1).flatMap((g) =>
    g.GroupId === undefined ? [] : [g.GroupId],
  );
  if (fileSystemId === undefined || subnets.length === 0 || securityGroups.length === 0) {
    throw new Error('the emulator has no default VPC, or could not make a file system');
  }

  return {
    cluster,
    baseTaskDefinition,
    fileSystemId,
    subnets,
    securityGroups,
    env: {
      AGENT_RUNNER: 'ecs',
      AGENT_CLUSTER: cluster,
      AGENT_TASK_DEFINITION: baseTaskDefinition,
      AGENT_CONTAINER_NAME: 'agent',
      AGENT_FILE_SYSTEM_ID: fileSystemId,
      AGENT_SUBNETS: subnets.join(','),
      AGENT_SECURITY_GROUPS: securityGroups.join(','),
    },
  };
}

async function taskDefinitionExists(ecs: ECSClient, family: string): Promise<boolean> {
  try {
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
    return taskDefinition?.status === 'ACTIVE';
  } catch (error) {
    // A family never registered is a client error; anything else is a real failure.
    if ((error as { $fault?: string }).$fault === 'client') return false;
    throw error;
  }
}

if (import.meta.main) {
  const environment = process.env['OCF_ENV'];
  if (process.env['AWS_ENDPOINT_URL'] === undefined || environment === undefined) {
    process.stderr.write(
      'set OCF_ENV and AWS_ENDPOINT_URL (the emulator): this script never runs against AWS\n',
    );
    process.exit(2);
  }
  const clients = { ecs: new ECSClient({}), efs: new EFSClient({}), ec2: new EC2Client({}) };
  try {
    const infra = await ensureEmulatorAgentInfrastructure(environment, clients);
    process.stdout.write(`${JSON.stringify(infra.env)}\n`);
  } finally {
    clients.ecs.destroy();
    clients.efs.destroy();
    clients.ec2.destroy();
  }
}
