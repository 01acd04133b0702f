import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { FleetRouting } from '@ocf/routing';
import { taskRole } from '../iam.ts';
import { acknowledge } from '../nag.ts';
import { ARM64_LINUX, hardened, type TaskSize } from './containers.ts';
import type { Network } from './network.ts';
import { privateFileSystem } from './private-file-system.ts';

export const HOMESERVER_PORT = 8008;
/** Where Synapse's Service Connect proxy takes TLS from the bridge (ADR 0026). */
export const HOMESERVER_TLS_PORT = 18008;
/**
 * Synapse's TLS listener, for the load balancer (ADR 0027): a certificate start.py makes at every
 * start. 8008 stays plain for the task's own health check and its Service Connect proxy.
 */
export const HOMESERVER_LB_TLS_PORT = 8448;
/** Synapse's image runs as this user; it owns the data directory on EFS. */
const SYNAPSE_UID = '991';

export interface HomeserverProps {
  readonly routing: FleetRouting;
  readonly network: Network;
  readonly cluster: ecs.ICluster;
  readonly image: ecs.ContainerImage;
  readonly key: kms.IKey;
  /** The `:server` part of every Matrix id; it cannot change once users exist. */
  readonly serverName: string;
  /** Where Matrix clients reach the homeserver (the internal load balancer). */
  readonly publicBaseUrl: string;
  /** Where Synapse pushes events to the bridge (its application-service port, via Cloud Map). */
  readonly appserviceUrl: string;
  /** Service Connect with TLS for the bridge's calls (ADR 0026); absent: Cloud Map DNS, in clear. */
  readonly serviceConnect?: { readonly namespace: string; readonly tls: ecs.ServiceConnectTlsConfiguration };
  readonly size: TaskSize;
  readonly database: { readonly instanceType: ec2.InstanceType; readonly multiAz: boolean };
  /** Synapse's shared-secret registration, for bootstrapping a human admin only (ADR 0020). */
  readonly sharedSecretRegistration: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly retainData: boolean;
}

/**
 * The fleet's Matrix homeserver: Synapse on Fargate, its database on RDS for PostgreSQL, its media
 * and signing key on EFS. Registration is closed (the bridge creates agents as an application
 * service), federation is off, and nothing reaches it from outside the VPC.
 */
export class Homeserver extends Construct {
  readonly service: ecs.FargateService;
  readonly securityGroup: ec2.SecurityGroup;
  /**
   * The client API inside the VPC for the bridge: its Service Connect name (TLS between the
   * proxies), or in plaintext mode its Cloud Map name (also the agents' way in that mode).
   */
  readonly url: string;
  /** Whether the bridge reaches Synapse through Service Connect with TLS. */
  readonly serviceConnect: boolean;
  /** What the bridge reads to act for the homeserver (and nothing else of Synapse's). */
  readonly bridgeSecrets: {
    readonly asToken: secretsmanager.ISecret;
    readonly hsToken: secretsmanager.ISecret;
  };

  constructor(scope: Construct, id: string, props: HomeserverProps) {
    super(scope, id);
    const { routing, network } = props;
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.securityGroup = network.securityGroup(
      'SecurityGroup',
      'Homeserver: client API from the bridge, agents and the load balancer only',
      this,
    );
    network.allowAwsApis(this.securityGroup, { dynamodb: false });

    const secret = (name: string, description: string, readers: string): secretsmanager.Secret => {
      const generated = new secretsmanager.Secret(this, name, {
        secretName: `ocf/${routing.environment}/platform/matrix/${name}`,
        description,
        encryptionKey: props.key,
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
        removalPolicy,
      });
      acknowledge(
        generated,
        'AwsSolutions-SMG4',
        `${name} is read by ${readers} only when a task starts; rotating it means replacing those tasks, a manual step in docs/deploy.md.`,
      );
      return generated;
    };
    const both = 'Synapse and the bridge';
    const asToken = secret('as-token', 'The bridge authenticates to Synapse with this', both);
    const hsToken = secret('hs-token', 'Synapse authenticates to the bridge with this', both);
    // Only while an operator bootstraps a human admin: a standing secret that creates admins is
    // a credential nothing of the fleet needs (ADR 0020).
    const registration = props.sharedSecretRegistration
      ? secret(
          'registration-shared-secret',
          "Creates users through Synapse's shared-secret admin API (operators' first human admin)",
          'Synapse',
        )
      : undefined;
    const macaroon = secret('macaroon-secret-key', 'Signs access tokens; Synapse only', 'Synapse');
    const form = secret('form-secret', 'Signs form submissions; Synapse only', 'Synapse');
    this.bridgeSecrets = { asToken, hsToken };

    const database = this.createDatabase(props);

    const role = taskRole(
      this,
      'TaskRole',
      'Homeserver tasks: its file system (by policy there), no AWS API',
    );
    const fileSystem = privateFileSystem(this, 'FileSystem', {
      network,
      name: `${routing.prefix}-homeserver`,
      description: 'Homeserver file system: NFS from Synapse only',
      clients: { securityGroup: this.securityGroup, role },
      retainData: props.retainData,
    });
    const data = fileSystem.addAccessPoint('Data', {
      path: '/synapse',
      posixUser: { uid: SYNAPSE_UID, gid: SYNAPSE_UID },
      createAcl: { ownerUid: SYNAPSE_UID, ownerGid: SYNAPSE_UID, permissions: '700' },
    });

    const task = new ecs.FargateTaskDefinition(this, 'Task', {
      family: `${routing.prefix}-homeserver`,
      cpu: props.size.cpu,
      memoryLimitMiB: props.size.memoryMiB,
      runtimePlatform: ARM64_LINUX,
      taskRole: role,
      executionRole: taskRole(
        this,
        'ExecutionRole',
        'Homeserver tasks, as ECS starts them: image, logs, secrets',
      ),
      volumes: [
        {
          name: 'data',
          efsVolumeConfiguration: {
            fileSystemId: fileSystem.fileSystemId,
            transitEncryption: 'ENABLED',
            authorizationConfig: { accessPointId: data.accessPointId, iam: 'ENABLED' },
          },
        },
        // Task-local, declared by the image: the rendered config (it holds secrets) and scratch.
        { name: 'config' },
        { name: 'tmp' },
      ],
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/ocf/${routing.environment}/homeserver`,
      retention: props.logRetention,
      removalPolicy,
    });
    const synapse = task.addContainer('synapse', {
      containerName: 'synapse',
      image: props.image,
      ...hardened(this, 'Linux', `${SYNAPSE_UID}:${SYNAPSE_UID}`),
      portMappings: [
        { containerPort: HOMESERVER_PORT, name: 'client' },
        { containerPort: HOMESERVER_LB_TLS_PORT, name: 'client-tls' },
      ],
      environment: {
        SYNAPSE_SERVER_NAME: props.serverName,
        SYNAPSE_PUBLIC_BASEURL: props.publicBaseUrl,
        SYNAPSE_APPSERVICE_URL: props.appserviceUrl,
        SYNAPSE_DB_HOST: database.instanceEndpoint.hostname,
        SYNAPSE_DB_PORT: Token.asString(database.instanceEndpoint.port),
        SYNAPSE_DB_NAME: 'synapse',
      },
      // Resolved by the execution role when the task starts; start.py writes them into the
      // task-local config and starts Synapse without them in its environment.
      secrets: {
        SYNAPSE_DB_USER: ecs.Secret.fromSecretsManager(databaseSecret(database), 'username'),
        SYNAPSE_DB_PASSWORD: ecs.Secret.fromSecretsManager(databaseSecret(database), 'password'),
        SYNAPSE_AS_TOKEN: ecs.Secret.fromSecretsManager(asToken),
        SYNAPSE_HS_TOKEN: ecs.Secret.fromSecretsManager(hsToken),
        ...(registration === undefined
          ? {}
          : { SYNAPSE_REGISTRATION_SHARED_SECRET: ecs.Secret.fromSecretsManager(registration) }),
        SYNAPSE_MACAROON_SECRET_KEY: ecs.Secret.fromSecretsManager(macaroon),
        SYNAPSE_FORM_SECRET: ecs.Secret.fromSecretsManager(form),
      },
      healthCheck: {
        // The Synapse image ships curl; /health answers once the homeserver serves clients.
        command: ['CMD-SHELL', `curl -fsS http://127.0.0.1:${HOMESERVER_PORT}/health || exit 1`],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(180),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'synapse' }),
    });
    synapse.addMountPoints(
      { sourceVolume: 'data', containerPath: '/data', readOnly: false },
      { sourceVolume: 'config', containerPath: '/run/synapse', readOnly: false },
      { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
    );

    const serviceConnect = props.serviceConnect;
    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: `${routing.prefix}-homeserver`,
      cluster: props.cluster,
      taskDefinition: task,
      desiredCount: 1,
      // One Synapse process per database: a deployment stops the old task before it starts the new.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      circuitBreaker: { rollback: true },
      vpcSubnets: network.subnets,
      securityGroups: [this.securityGroup],
      assignPublicIp: false,
      healthCheckGracePeriod: Duration.minutes(3),
      // With TLS inside the VPC (ADR 0026) the bridge reaches Synapse through Service Connect,
      // proxy to proxy over TLS; without it, by its Cloud Map name in clear (plaintext mode).
      ...(serviceConnect === undefined
        ? {
            cloudMapOptions: {
              name: 'matrix',
              dnsRecordType: servicediscovery.DnsRecordType.A,
              dnsTtl: Duration.seconds(10),
            },
          }
        : {
            serviceConnectConfiguration: {
              namespace: serviceConnect.namespace,
              services: [
                {
                  portMappingName: 'client',
                  discoveryName: 'homeserver',
                  dnsName: 'homeserver',
                  port: HOMESERVER_PORT,
                  // The proxy takes TLS here; 8008 stays Synapse's own port, for the load balancer.
                  ingressPortOverride: HOMESERVER_TLS_PORT,
                  tls: serviceConnect.tls,
                },
              ],
            },
          }),
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    database.connections.allowDefaultPortFrom(this.securityGroup, 'Postgres from Synapse');
    this.url =
      serviceConnect === undefined
        ? `http://matrix.${namespaceName(props.cluster)}:${HOMESERVER_PORT}`
        : `http://homeserver:${HOMESERVER_PORT}`;
    this.serviceConnect = serviceConnect !== undefined;

    acknowledge(
      task.executionRole ?? task,
      'AwsSolutions-IAM5[Resource::*]',
      "Synapse's execution role pulls its image: ecr:GetAuthorizationToken has no resource-level permissions.",
    );
    acknowledge(
      task,
      'AwsSolutions-ECS2',
      "Synapse's environment holds its server name and addresses; its secrets come through ECS secrets, resolved at start.",
    );
  }

  /** What the load balancer forwards Matrix clients to: Synapse's TLS listener, or in plaintext mode its plain one. */
  loadBalancerTarget(tls: boolean): { target: elbv2.IApplicationLoadBalancerTarget; port: number } {
    const port = tls ? HOMESERVER_LB_TLS_PORT : HOMESERVER_PORT;
    return {
      target: this.service.loadBalancerTarget({ containerName: 'synapse', containerPort: port }),
      port,
    };
  }

  /** Lets a task group use the client API (and the admin API, which needs an admin's token). */
  allowClientsFrom(peer: ec2.IConnectable, description: string): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(HOMESERVER_PORT), description);
  }

  /** Lets a Service Connect client reach the client API through Synapse's proxy, over TLS only. */
  allowTlsClientsFrom(peer: ec2.IConnectable, description: string): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(HOMESERVER_TLS_PORT), description);
  }

  private createDatabase(props: HomeserverProps): rds.DatabaseInstance {
    const { routing, network } = props;
    const instanceIdentifier = `${routing.prefix}-homeserver`;
    const group = network.securityGroup(
      'DatabaseSecurityGroup',
      'Homeserver database: Postgres from Synapse only',
      this,
    );
    // Named and owned here, so its retention is set without CDK's log-retention Lambda.
    const logGroup = new logs.LogGroup(this, 'DatabaseLogs', {
      logGroupName: `/aws/rds/instance/${instanceIdentifier}/postgresql`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const database = new rds.DatabaseInstance(this, 'Database', {
      instanceIdentifier,
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: props.database.instanceType,
      multiAz: props.database.multiAz,
      vpc: network.vpc,
      vpcSubnets: network.subnets,
      securityGroups: [group],
      credentials: rds.Credentials.fromGeneratedSecret('synapse', {
        secretName: `ocf/${routing.environment}/platform/matrix/database`,
        encryptionKey: props.key,
      }),
      storageEncrypted: true,
      storageEncryptionKey: props.key,
      storageType: rds.StorageType.GP3,
      allocatedStorage: 20,
      maxAllocatedStorage: 200,
      backupRetention: Duration.days(7),
      deletionProtection: props.retainData,
      removalPolicy: props.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      cloudwatchLogsExports: ['postgresql'],
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
    });
    database.node.addDependency(logGroup);

    acknowledge(
      database,
      'AwsSolutions-SMG4',
      'Synapse reads the database password only when it starts; a rotation would lock it out until the next deployment.',
    );
    acknowledge(
      database,
      'AwsSolutions-RDS11',
      'The database accepts connections from the Synapse security group only; a non-default port hides nothing.',
    );
    if (!props.database.multiAz) {
      acknowledge(
        database,
        'AwsSolutions-RDS3',
        'Single-AZ by default for cost (the homeserver is one task as well); set homeserverMultiAz for production.',
      );
    }
    if (!props.retainData) {
      acknowledge(
        database,
        'AwsSolutions-RDS10',
        'retainData=false is for throwaway fleets, which must be destroyable in one command.',
      );
    }
    return database;
  }
}

function databaseSecret(database: rds.DatabaseInstance): secretsmanager.ISecret {
  if (database.secret === undefined) throw new Error('the homeserver database has no generated secret');
  return database.secret;
}

function namespaceName(cluster: ecs.ICluster): string {
  const namespace = cluster.defaultCloudMapNamespace;
  if (namespace === undefined) throw new Error('the cluster needs a default Cloud Map namespace');
  return namespace.namespaceName;
}
