import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as iam from 'aws-cdk-lib/aws-iam';
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
import { ARM64_LINUX, hardened, privateService, type TaskSize } from './containers.ts';
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
  /** Synapse workers (docs/deploy.md, "How the homeserver scales"); absent or all zero: one process. */
  readonly workers?: SynapseWorkers | undefined;
  /** Size of each worker task. Default: 0.5 vCPU, 1 GiB. */
  readonly workerSize?: TaskSize | undefined;
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
  /** Synapse's worker services, when `workers` asks for any (event persisters, then generic workers). */
  workerServices: ecs.FargateService[] = [];
  /** The generic workers, which take the client endpoints in WORKER_CLIENT_PATHS. */
  genericWorkers: ecs.FargateService | undefined;
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

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/ocf/${routing.environment}/homeserver`,
      retention: props.logRetention,
      removalPolicy,
    });
    // What every Synapse process of the fleet reads: the main one and, when there are any, its
    // workers (one homeserver, one config; start.py renders it from these).
    const environment: Record<string, string> = {
      SYNAPSE_SERVER_NAME: props.serverName,
      SYNAPSE_PUBLIC_BASEURL: props.publicBaseUrl,
      SYNAPSE_APPSERVICE_URL: props.appserviceUrl,
      SYNAPSE_DB_HOST: database.instanceEndpoint.hostname,
      SYNAPSE_DB_PORT: Token.asString(database.instanceEndpoint.port),
      SYNAPSE_DB_NAME: 'synapse',
    };
    // Resolved by the execution role when the task starts; start.py writes them into the
    // task-local config and starts Synapse without them in its environment.
    const secrets: Record<string, ecs.Secret> = {
      SYNAPSE_DB_USER: ecs.Secret.fromSecretsManager(databaseSecret(database), 'username'),
      SYNAPSE_DB_PASSWORD: ecs.Secret.fromSecretsManager(databaseSecret(database), 'password'),
      SYNAPSE_AS_TOKEN: ecs.Secret.fromSecretsManager(asToken),
      SYNAPSE_HS_TOKEN: ecs.Secret.fromSecretsManager(hsToken),
      ...(registration === undefined
        ? {}
        : { SYNAPSE_REGISTRATION_SHARED_SECRET: ecs.Secret.fromSecretsManager(registration) }),
      SYNAPSE_MACAROON_SECRET_KEY: ecs.Secret.fromSecretsManager(macaroon),
      SYNAPSE_FORM_SECRET: ecs.Secret.fromSecretsManager(form),
    };
    const workers =
      props.workers === undefined || props.workers.generic + props.workers.eventPersisters === 0
        ? undefined
        : props.workers;
    if (workers !== undefined) {
      if (props.serviceConnect === undefined) {
        throw new Error(
          'synapseWorkers needs TLS inside the VPC (certificateArn): Synapse processes call each other through Service Connect',
        );
      }
      const shared = workerSettings(this, {
        routing,
        network,
        key: props.key,
        workers,
        clients: this.securityGroup,
        secret,
      });
      Object.assign(environment, shared.environment);
      Object.assign(secrets, shared.secrets);
    }
    const task = synapseTask(this, 'Task', {
      family: `${routing.prefix}-homeserver`,
      size: props.size,
      role,
      executionRole: taskRole(
        this,
        'ExecutionRole',
        'Homeserver tasks, as ECS starts them: image, logs, secrets',
      ),
      fileSystemId: fileSystem.fileSystemId,
      accessPointId: data.accessPointId,
      image: props.image,
      environment,
      secrets,
      portMappings: [
        { containerPort: HOMESERVER_PORT, name: 'client' },
        { containerPort: HOMESERVER_LB_TLS_PORT, name: 'client-tls' },
        ...(workers === undefined ? [] : [{ containerPort: REPLICATION_PORT, name: 'replication' }]),
      ],
      // The Synapse image ships curl; /health answers once the homeserver serves clients.
      healthCheck: `curl -fsS http://127.0.0.1:${HOMESERVER_PORT}/health || exit 1`,
      logGroup,
      streamPrefix: 'synapse',
    });

    const serviceConnect = props.serviceConnect;
    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: `${routing.prefix}-homeserver`,
      cluster: props.cluster,
      taskDefinition: task,
      desiredCount: 1,
      // One Synapse process per database: a deployment stops the old task before it starts the new.
      ...privateService(network.subnets, this.securityGroup, { exclusive: true }),
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
                // Workers' replication calls to the main process (only with workers).
                ...(workers === undefined
                  ? []
                  : [
                      {
                        portMappingName: 'replication',
                        discoveryName: MAIN_REPLICATION_NAME,
                        dnsName: MAIN_REPLICATION_NAME,
                        port: REPLICATION_PORT,
                        ingressPortOverride: REPLICATION_TLS_PORT,
                        tls: serviceConnect.tls,
                      },
                    ]),
              ],
            },
          }),
    });
    database.connections.allowDefaultPortFrom(this.securityGroup, 'Postgres from Synapse');
    this.url =
      serviceConnect === undefined
        ? `http://matrix.${namespaceName(props.cluster)}:${HOMESERVER_PORT}`
        : `http://homeserver:${HOMESERVER_PORT}`;
    this.serviceConnect = serviceConnect !== undefined;

    if (workers !== undefined && serviceConnect !== undefined) {
      // Replication between the processes: each one's Service Connect proxy takes TLS on 19093.
      this.securityGroup.connections.allowInternally(
        ec2.Port.tcp(REPLICATION_TLS_PORT),
        'Synapse replication between its processes, TLS via Service Connect',
      );
      const worker = (
        id: string,
        options: {
          readonly name: string;
          readonly count: number;
          readonly app: 'generic';
          readonly serves: 'client' | 'replication';
        },
      ): ecs.FargateService => {
        const serviceName = `${routing.prefix}-homeserver-${options.name}`;
        const workerTask = synapseTask(this, `${id}Task`, {
          family: serviceName,
          size: props.workerSize ?? WORKER_SIZE,
          role,
          executionRole: task.executionRole as iam.IRole,
          fileSystemId: fileSystem.fileSystemId,
          accessPointId: data.accessPointId,
          image: props.image,
          environment: {
            ...environment,
            SYNAPSE_WORKER_NAME: options.name,
            // Generic workers run as many tasks of one service: each takes its task's host name.
            ...(options.serves === 'client' ? { SYNAPSE_WORKER_NAME_BY_HOST: 'true' } : {}),
            SYNAPSE_WORKER_SERVES: options.serves,
          },
          secrets,
          portMappings:
            options.serves === 'client'
              ? [{ containerPort: HOMESERVER_LB_TLS_PORT, name: 'client-tls' }]
              : [{ containerPort: REPLICATION_PORT, name: 'replication' }],
          healthCheck:
            options.serves === 'client'
              ? `curl -fsSk https://127.0.0.1:${HOMESERVER_LB_TLS_PORT}/health || exit 1`
              : `curl -fsS http://127.0.0.1:${REPLICATION_PORT}/health || exit 1`,
          logGroup,
          streamPrefix: options.name,
        });
        acknowledge(
          workerTask,
          'AwsSolutions-ECS2',
          `Synapse worker ${options.name}: its environment holds the homeserver's names and addresses; secrets come through ECS secrets.`,
        );
        return new ecs.FargateService(this, `${id}Service`, {
          serviceName,
          cluster: props.cluster,
          taskDefinition: workerTask,
          desiredCount: options.count,
          ...privateService(network.subnets, this.securityGroup),
          healthCheckGracePeriod: Duration.minutes(3),
          serviceConnectConfiguration: {
            namespace: serviceConnect.namespace,
            services:
              options.serves === 'replication'
                ? [
                    {
                      portMappingName: 'replication',
                      discoveryName: options.name,
                      dnsName: options.name,
                      port: REPLICATION_PORT,
                      ingressPortOverride: REPLICATION_TLS_PORT,
                      tls: serviceConnect.tls,
                    },
                  ]
                : [],
          },
        });
      };
      this.workerServices = eventPersisterNames(workers).map((name, index) =>
        worker(`EventPersister${index + 1}`, { name, count: 1, app: 'generic', serves: 'replication' }),
      );
      if (workers.generic > 0) {
        const generic = worker('GenericWorkers', {
          name: 'generic',
          count: workers.generic,
          app: 'generic',
          serves: 'client',
        });
        this.workerServices.push(generic);
        this.genericWorkers = generic;
      }
    }

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

  /** What the load balancer forwards the workers' client endpoints to, when there are generic workers. */
  workersLoadBalancerTarget(): elbv2.IApplicationLoadBalancerTarget | undefined {
    return this.genericWorkers?.loadBalancerTarget({
      containerName: 'synapse',
      containerPort: HOMESERVER_LB_TLS_PORT,
    });
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

/** How many Synapse workers of each kind (issue 17): off unless one is above zero. */
export interface SynapseWorkers {
  /** Generic workers (one ECS service of this many tasks) taking the client endpoints the bridge uses. */
  readonly generic: number;
  /** Event persisters (one ECS service each, a stable name): rooms' events are persisted in parallel. */
  readonly eventPersisters: number;
}

/** Synapse's replication listener on every process when there are workers, and its proxy's TLS port. */
export const REPLICATION_PORT = 9093;
export const REPLICATION_TLS_PORT = 19093;
/** The main process's replication endpoint as Service Connect names it. */
export const MAIN_REPLICATION_NAME = 'homeserver-replication';
const WORKER_SIZE: TaskSize = { cpu: 512, memoryMiB: 1024 };

/**
 * The client endpoints generic workers take (Synapse's workers documentation, "generic_worker"):
 * what a hire costs the homeserver — registration, login, room creation, joins, invites, sends,
 * state events — and sync. Load balancer path patterns (`*` matches across `/`); everything else
 * stays with the main process. One rule holds at most five patterns.
 */
export const WORKER_CLIENT_PATHS: readonly (readonly string[])[] = [
  [
    '/_matrix/client/*/rooms/*/send/*',
    '/_matrix/client/*/rooms/*/state/*',
    '/_matrix/client/*/rooms/*/join',
    '/_matrix/client/*/rooms/*/invite',
    '/_matrix/client/*/join/*',
  ],
  [
    '/_matrix/client/*/createRoom',
    '/_matrix/client/*/register',
    '/_matrix/client/*/login',
    '/_matrix/client/*/sync',
    '/_matrix/client/*/rooms/*/messages',
  ],
];

export function eventPersisterNames(workers: SynapseWorkers): string[] {
  return Array.from({ length: workers.eventPersisters }, (_, index) => `event-persister-${index + 1}`);
}

/**
 * What the main process and every worker add to the shared config with workers: Redis for
 * replication (ElastiCache, TLS and an auth token), the replication secret, and where each
 * process that writes a stream is (Service Connect names, TLS between the proxies).
 */
function workerSettings(
  scope: Construct,
  props: {
    readonly routing: FleetRouting;
    readonly network: Network;
    readonly key: kms.IKey;
    readonly workers: SynapseWorkers;
    /** Every Synapse process's group: the only one let in. */
    readonly clients: ec2.ISecurityGroup;
    readonly secret: (name: string, description: string, readers: string) => secretsmanager.Secret;
  },
): { environment: Record<string, string>; secrets: Record<string, ecs.Secret> } {
  const { routing, network } = props;
  const all = 'every Synapse process';
  const redisToken = props.secret(
    'redis-auth-token',
    "Synapse's processes authenticate to Redis with this",
    all,
  );
  const replication = props.secret(
    'replication-secret',
    "Synapse's processes authenticate their replication calls with this",
    all,
  );
  const group = network.securityGroup(
    'RedisSecurityGroup',
    'Synapse replication Redis: from Synapse only',
    scope,
  );
  group.connections.allowFrom(
    props.clients,
    ec2.Port.tcp(REDIS_PORT),
    'Redis (TLS, auth token) from Synapse',
  );
  const subnets = new elasticache.CfnSubnetGroup(scope, 'RedisSubnets', {
    description: `${routing.prefix} Synapse replication`,
    subnetIds: network.vpc.isolatedSubnets.map((subnet) => subnet.subnetId),
  });
  const redis = new elasticache.CfnReplicationGroup(scope, 'Redis', {
    replicationGroupDescription: `${routing.prefix}: Synapse replication between its processes`,
    engine: 'redis',
    cacheNodeType: 'cache.t4g.micro',
    numCacheClusters: 1,
    automaticFailoverEnabled: false,
    cacheSubnetGroupName: subnets.ref,
    securityGroupIds: [group.securityGroupId],
    transitEncryptionEnabled: true,
    atRestEncryptionEnabled: true,
    kmsKeyId: props.key.keyArn,
    authToken: redisToken.secretValue.unsafeUnwrap(),
    port: REDIS_PORT,
  });
  acknowledge(
    redis,
    'AwsSolutions-AEC4',
    'Replication pub/sub only, nothing stored: a lost node is replaced and Synapse reconnects; Multi-AZ would double its cost.',
  );
  acknowledge(
    redis,
    'AwsSolutions-AEC5',
    'The replication Redis accepts connections from the Synapse security group only; a non-default port hides nothing.',
  );
  acknowledge(
    redis,
    'AwsSolutions-AEC6',
    'Redis AUTH is on: the auth token is generated in Secrets Manager and only Synapse tasks read it.',
  );
  const instances: Record<string, { host: string; port: number }> = {
    main: { host: MAIN_REPLICATION_NAME, port: REPLICATION_PORT },
  };
  for (const name of eventPersisterNames(props.workers))
    instances[name] = { host: name, port: REPLICATION_PORT };
  return {
    environment: {
      SYNAPSE_WORKERS: Stack.of(scope).toJsonString({
        redis: { host: redis.attrPrimaryEndPointAddress, port: REDIS_PORT },
        instances,
        eventWriters: eventPersisterNames(props.workers),
      }),
    },
    secrets: {
      SYNAPSE_REDIS_PASSWORD: ecs.Secret.fromSecretsManager(redisToken),
      SYNAPSE_REPLICATION_SECRET: ecs.Secret.fromSecretsManager(replication),
    },
  };
}

const REDIS_PORT = 6379;

/** One Synapse task definition: the image, its data on EFS, its config and scratch task-local. */
function synapseTask(
  scope: Construct,
  id: string,
  props: {
    readonly family: string;
    readonly size: TaskSize;
    readonly role: iam.IRole;
    readonly executionRole: iam.IRole;
    readonly fileSystemId: string;
    readonly accessPointId: string;
    readonly image: ecs.ContainerImage;
    readonly environment: Record<string, string>;
    readonly secrets: Record<string, ecs.Secret>;
    readonly portMappings: ecs.PortMapping[];
    readonly healthCheck: string;
    readonly logGroup: logs.ILogGroup;
    readonly streamPrefix: string;
  },
): ecs.FargateTaskDefinition {
  const task = new ecs.FargateTaskDefinition(scope, id, {
    family: props.family,
    cpu: props.size.cpu,
    memoryLimitMiB: props.size.memoryMiB,
    runtimePlatform: ARM64_LINUX,
    taskRole: props.role,
    executionRole: props.executionRole,
    volumes: [
      {
        name: 'data',
        efsVolumeConfiguration: {
          fileSystemId: props.fileSystemId,
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: props.accessPointId, iam: 'ENABLED' },
        },
      },
      // Task-local, declared by the image: the rendered config (it holds secrets) and scratch.
      { name: 'config' },
      { name: 'tmp' },
    ],
  });
  const synapse = task.addContainer('synapse', {
    containerName: 'synapse',
    image: props.image,
    ...hardened(task, 'Linux', `${SYNAPSE_UID}:${SYNAPSE_UID}`),
    portMappings: props.portMappings,
    environment: props.environment,
    secrets: props.secrets,
    healthCheck: {
      command: ['CMD-SHELL', props.healthCheck],
      interval: Duration.seconds(30),
      timeout: Duration.seconds(5),
      retries: 3,
      startPeriod: Duration.seconds(180),
    },
    logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: props.streamPrefix }),
  });
  synapse.addMountPoints(
    { sourceVolume: 'data', containerPath: '/data', readOnly: false },
    { sourceVolume: 'config', containerPath: '/run/synapse', readOnly: false },
    { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
  );
  return task;
}
