import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FleetRouting } from '@ocf/routing';
import { agentSecretNamePrefix } from '@ocf/secrets';
import { agentSecretsArn, keyUseThroughSecretsManager, secretArn, taskRole } from '../iam.ts';
import { acknowledge, acknowledgeWildcards } from '../nag.ts';
import type { Network } from './network.ts';
import { ARM64_LINUX, hardened, healthProbe, type TaskSize } from './containers.ts';
import { privateFileSystem } from './private-file-system.ts';

/**
 * What provisioning relies on when it makes an agent's own task definition from this template
 * (docs/adr/0008-agent-secret-access.md, docs/deploy.md): it copies the template, replaces the
 * storage volume with one through the agent's access point, and points the secret-init
 * container's one secret at the agent's secret ARN. Nothing else changes.
 */
export const AGENT_TEMPLATE = {
  agentContainer: 'agent',
  secretInitContainer: 'secret-init',
  /** The secret-init container's only secret; its `valueFrom` is the agent's secret ARN. */
  secretVariable: 'OCF_AGENT_SECRET',
  /** Provisioning's AGENT_STORAGE_VOLUME and AGENT_DATA_MOUNT_PATH (services/provisioning). */
  storageVolume: 'agent-storage',
  /** Where the agent finds its private storage (its access point's root) and its secret. */
  storagePath: '/agent-data',
  secretDirectory: '/run/ocf/agent-secret',
  secretFile: '/run/ocf/agent-secret/secret.json',
  /** The user every agent container runs as, and the owner of each access point's root. */
  posixUser: { uid: 1000, gid: 1000 },
  /** The agent container answers GET /healthz here (loopback only; no port is published). */
  healthPort: 8080,
} as const;

/**
 * The whole job of the secret-init container: copy the secret ECS injected into its environment
 * to a file only the agent user can read, then exit. The agent container starts after it
 * succeeded and reads the file; the secret is never in the agent container's environment.
 */
const WRITE_SECRET = [
  "const value = process.env.OCF_AGENT_SECRET ?? '';",
  "if (value === '') { console.error('secret-init: no agent secret in this task definition'); process.exit(1); }",
  `require('node:fs').writeFileSync('${AGENT_TEMPLATE.secretFile}', value, { mode: 0o400 });`,
].join(' ');

export interface AgentRuntimeProps {
  readonly routing: FleetRouting;
  readonly network: Network;
  readonly image: ecs.ContainerImage;
  /** Encrypts the agents' secrets (the execution role may use it to read them, nothing else). */
  readonly key: kms.IKey;
  /** The fleet's model gateway inside the VPC: agents' only way to a model (ADR 0017). */
  readonly modelGatewayUrl: string;
  readonly size: TaskSize;
  readonly matrix: { readonly homeserverUrl: string; readonly serverName: string };
  /** The directory's REST API inside the VPC, for the agents' people directory tool. */
  readonly directoryUrl: string;
  readonly logRetention: logs.RetentionDays;
  readonly retainData: boolean;
}

/**
 * What agents run on: their security group, their file system, their roles, their log group and
 * the task definition template provisioning copies for each agent.
 */
export class AgentRuntime extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  readonly fileSystem: efs.FileSystem;
  readonly taskRole: iam.Role;
  readonly executionRole: iam.Role;
  readonly template: ecs.FargateTaskDefinition;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AgentRuntimeProps) {
    super(scope, id);
    const { routing, network } = props;

    this.securityGroup = network.securityGroup(
      'TaskSecurityGroup',
      'Agent tasks: nothing in; out to AWS APIs, the homeserver and their file system',
      this,
    );
    network.allowAwsApis(this.securityGroup, { dynamodb: false });

    // No permissions at all: an agent reaches a model only through the fleet's model gateway,
    // with its own key (ADR 0017). The role exists for the file system policy's mount grant.
    this.taskRole = taskRole(
      this,
      'TaskRole',
      'Agent tasks: no AWS permissions (models through the gateway)',
    );

    // Used by ECS (never by the agent's code) to pull the image, write logs and resolve the
    // template's one secret. It may read any agent's secret, because one role serves every
    // agent; which secret a task gets is decided by its task definition, which only
    // provisioning registers. See ADR 0008.
    this.executionRole = taskRole(
      this,
      'ExecutionRole',
      'Agent tasks (ECS itself): image, logs, the agent secret',
    );
    const readAgentSecrets = new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [agentSecretsArn(this, routing.environment)],
    });
    this.executionRole.addToPrincipalPolicy(readAgentSecrets);
    this.executionRole.addToPrincipalPolicy(
      keyUseThroughSecretsManager(props.key, ['kms:Decrypt'], readAgentSecrets.resources),
    );
    acknowledgeWildcards(
      this.executionRole,
      readAgentSecrets,
      "One execution role resolves every agent's secret at task start; each agent's task definition names exactly its own secret (ADR 0008).",
    );
    acknowledge(
      this.executionRole,
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken, which CDK adds for the agent image pull, has no resource-level permissions.',
    );

    this.fileSystem = privateFileSystem(this, 'FileSystem', {
      network,
      name: `${routing.prefix}-agents`,
      description: 'Agent file system: NFS from agent tasks only',
      clients: { securityGroup: this.securityGroup, role: this.taskRole },
      retainData: props.retainData,
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/ocf/${routing.environment}/agents`,
      retention: props.logRetention,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.template = this.createTemplate(props);
  }

  private createTemplate(props: AgentRuntimeProps): ecs.FargateTaskDefinition {
    const template = new ecs.FargateTaskDefinition(this, 'Template', {
      family: `${props.routing.prefix}-agent`,
      cpu: props.size.cpu,
      memoryLimitMiB: props.size.memoryMiB,
      runtimePlatform: ARM64_LINUX,
      taskRole: this.taskRole,
      executionRole: this.executionRole,
      volumes: [
        {
          name: AGENT_TEMPLATE.storageVolume,
          efsVolumeConfiguration: {
            fileSystemId: this.fileSystem.fileSystemId,
            transitEncryption: 'ENABLED',
            // Provisioning replaces this volume with one through the agent's access point. Without
            // one the file system policy refuses the mount, so the template alone mounts nothing.
            // IAM authorization makes the mount use the task role, which that policy lets in.
            authorizationConfig: { iam: 'ENABLED' },
          },
        },
        // Task-local scratch volumes. The image must declare them as VOLUMEs owned by the agent's
        // user, or Fargate creates them owned by root (ADR 0008).
        { name: 'agent-secret' },
        { name: 'tmp' },
      ],
    });

    const user = `${AGENT_TEMPLATE.posixUser.uid}:${AGENT_TEMPLATE.posixUser.gid}`;

    // The template's secret is a placeholder in the agents' namespace that no agent can have
    // (ids are slugs), so running the template unchanged fails at start instead of borrowing
    // someone's secret.
    const placeholder = new PlaceholderSecret(
      secretArn(this, `${agentSecretNamePrefix(props.routing.environment)}_template-AAAAAA`),
    );

    const secretInit = template.addContainer(AGENT_TEMPLATE.secretInitContainer, {
      containerName: AGENT_TEMPLATE.secretInitContainer,
      image: props.image,
      essential: false,
      entryPoint: ['node'],
      command: ['-e', WRITE_SECRET],
      secrets: { [AGENT_TEMPLATE.secretVariable]: placeholder },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'secret-init' }),
      ...hardened(this, 'SecretInitLinux', user),
    });
    secretInit.addMountPoints({
      sourceVolume: 'agent-secret',
      containerPath: AGENT_TEMPLATE.secretDirectory,
      readOnly: false,
    });

    const agent = template.addContainer(AGENT_TEMPLATE.agentContainer, {
      containerName: AGENT_TEMPLATE.agentContainer,
      image: props.image,
      essential: true,
      environment: {
        OCF_ENV: props.routing.environment,
        AWS_REGION: Aws.REGION,
        OCF_AGENT_SECRET_FILE: AGENT_TEMPLATE.secretFile,
        OCF_AGENT_DATA_DIR: AGENT_TEMPLATE.storagePath,
        OCF_AGENT_HEALTH_PORT: String(AGENT_TEMPLATE.healthPort),
        // Every model call goes through the gateway, which holds the fleet's model and prices it.
        MODEL_PROVIDER: 'gateway',
        MODEL_GATEWAY_URL: props.modelGatewayUrl,
        MATRIX_HOMESERVER_URL: props.matrix.homeserverUrl,
        MATRIX_SERVER_NAME: props.matrix.serverName,
        DIRECTORY_URL: props.directoryUrl,
      },
      healthCheck: {
        command: ['CMD', 'node', '-e', healthProbe(AGENT_TEMPLATE.healthPort, '/healthz')],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(120),
      },
      stopTimeout: Duration.seconds(30),
      // Stream names carry the task id; an agent's own definition may prefix them with its id.
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'agent' }),
      ...hardened(this, 'AgentLinux', user),
    });
    agent.addContainerDependencies({
      container: secretInit,
      condition: ecs.ContainerDependencyCondition.SUCCESS,
    });
    agent.addMountPoints(
      {
        sourceVolume: AGENT_TEMPLATE.storageVolume,
        containerPath: AGENT_TEMPLATE.storagePath,
        readOnly: false,
      },
      { sourceVolume: 'agent-secret', containerPath: AGENT_TEMPLATE.secretDirectory, readOnly: true },
      { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
    );

    acknowledge(
      template,
      'AwsSolutions-ECS2',
      "The agent container's environment holds names and addresses only (a test checks no secret-looking variable is plain); its secret arrives as a file.",
    );
    return template;
  }
}

/**
 * A secret reference that grants nothing: the execution role already reads the agents' whole
 * namespace, and a grant on a placeholder would only add a statement naming a secret that never
 * exists.
 */
class PlaceholderSecret extends ecs.Secret {
  readonly arn: string;
  readonly hasField = false;

  constructor(arn: string) {
    super();
    this.arn = arn;
  }

  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.drop(grantee, 'the execution role reads every agent secret already');
  }
}
