import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as applicationautoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { FleetRouting, ServiceName } from '@ocf/routing';
import { taskRole } from '../iam.ts';
import { acknowledge, acknowledgeWildcards } from '../nag.ts';
import type { Permission } from '../service-permissions.ts';
import { ARM64_LINUX, hardened, healthProbe, privateService, type TaskSize } from './containers.ts';
import type { ServiceQueues } from './event-routing.ts';
import type { Network } from './network.ts';

/** Every service listens here inside its task (PORT); the local defaults (8081...) only matter on one host. */
export const SERVICE_PORT = 8080;

export interface FleetServiceProps {
  readonly name: ServiceName;
  readonly routing: FleetRouting;
  readonly cluster: ecs.ICluster;
  readonly network: Network;
  readonly image: ecs.ContainerImage;
  readonly size: TaskSize;
  readonly queues: ServiceQueues;
  /** The service's own settings (services/<name>/src/config.ts), on top of the common ones. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Platform secrets the service reads at start (ECS resolves them with its execution role). */
  readonly secrets?: Readonly<Record<string, ecs.Secret>>;
  readonly permissions: readonly Permission[];
  /** More ports the service listens on (the bridge's application-service endpoint). */
  readonly extraPorts?: readonly number[];
  /**
   * Serves its HTTP side over HTTPS only, with a certificate it makes at start (HTTP_TLS), for
   * the load balancer's HTTPS target group (ADR 0027).
   */
  readonly servesTls?: boolean;
  /** Registers the tasks in the cluster's Cloud Map namespace as `<name>.<namespace>`. */
  readonly discoverable?: boolean;
  /**
   * Joins ECS Service Connect (ADR 0026): as a client always, and as a server for each of
   * `serves` (a container port, the name other services call it by, and the port its proxy takes
   * TLS on). Traffic between two Service Connect proxies is TLS from the fleet's private CA.
   */
  readonly serviceConnect?: {
    readonly namespace: string;
    readonly tls: ecs.ServiceConnectTlsConfiguration;
    readonly serves?: readonly {
      readonly port: number;
      readonly dnsName: string;
      readonly tlsPort: number;
    }[];
  };
  readonly scaling: { readonly min: number; readonly max: number };
  readonly logRetention: logs.RetentionDays;
}

/** A container port's name in the task definition (Service Connect names ports). */
export function portName(port: number): string {
  return `port-${port}`;
}

/**
 * One fleet microservice on Fargate: its task role (exactly `permissions`), its log group, a
 * closed security group, and a service that scales on its queue's depth.
 */
export class FleetService extends Construct {
  readonly service: ecs.FargateService;
  readonly securityGroup: ec2.SecurityGroup;
  readonly taskRole: iam.Role;
  readonly container: ecs.ContainerDefinition;

  constructor(scope: Construct, id: string, props: FleetServiceProps) {
    super(scope, id);
    const { name, routing, network } = props;

    this.securityGroup = network.securityGroup(
      'SecurityGroup',
      `The ${name} service: out to AWS APIs only unless opened`,
      this,
    );
    network.allowAwsApis(this.securityGroup, { dynamodb: true });

    this.taskRole = taskRole(
      this,
      'TaskRole',
      `The ${name} service: its queue, tables and calls, nothing else`,
    );
    for (const { statement, wildcard } of props.permissions) {
      this.taskRole.addToPrincipalPolicy(statement);
      if (wildcard !== undefined) acknowledgeWildcards(this.taskRole, statement, `${name}: ${wildcard}`);
    }

    const task = new ecs.FargateTaskDefinition(this, 'Task', {
      family: `${routing.prefix}-${name}`,
      cpu: props.size.cpu,
      memoryLimitMiB: props.size.memoryMiB,
      runtimePlatform: ARM64_LINUX,
      taskRole: this.taskRole,
      // Used by ECS alone (image pull, logs, secrets at start); the same trust conditions.
      executionRole: taskRole(this, 'ExecutionRole', `The ${name} service's tasks, as ECS starts them`),
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/ocf/${routing.environment}/services/${name}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.container = task.addContainer(name, {
      containerName: name,
      image: props.image,
      command: ['node', `services/${name}/src/main.ts`],
      ...hardened(this, 'Linux', 'node'),
      environment: {
        OCF_ENV: routing.environment,
        AWS_REGION: Aws.REGION,
        PORT: String(SERVICE_PORT),
        LOG_LEVEL: 'INFO',
        ...(props.servesTls === true ? { HTTP_TLS: 'self-signed' } : {}),
        ...props.settings,
      },
      ...(props.secrets === undefined ? {} : { secrets: { ...props.secrets } }),
      portMappings: [SERVICE_PORT, ...(props.extraPorts ?? [])].map((containerPort) => ({
        containerPort,
        name: portName(containerPort),
      })),
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          healthProbe(SERVICE_PORT, '/healthz', { tls: props.servesTls === true }),
        ],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      // SIGTERM first: the consumer stops receiving and finishes or releases what it holds
      // (shared/service: SHUTDOWN_TIMEOUT_MS 25 s, inside this).
      stopTimeout: Duration.seconds(30),
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: name }),
    });

    const serviceConnect = props.serviceConnect;
    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: `${routing.prefix}-${name}`,
      cluster: props.cluster,
      taskDefinition: task,
      desiredCount: props.scaling.min,
      ...privateService(network.subnets, this.securityGroup),
      ...(serviceConnect === undefined
        ? {}
        : {
            serviceConnectConfiguration: {
              namespace: serviceConnect.namespace,
              services: (serviceConnect.serves ?? []).map((serve) => ({
                portMappingName: portName(serve.port),
                discoveryName: serve.dnsName,
                dnsName: serve.dnsName,
                port: serve.port,
                // The proxy takes TLS on its own port; the container port stays the app's own.
                ingressPortOverride: serve.tlsPort,
                tls: serviceConnect.tls,
              })),
            },
          }),
      ...(props.discoverable === true
        ? {
            cloudMapOptions: {
              name,
              dnsRecordType: servicediscovery.DnsRecordType.A,
              dnsTtl: Duration.seconds(10),
            },
          }
        : {}),
    });

    const scaling = this.service.autoScaleTaskCount({
      minCapacity: props.scaling.min,
      maxCapacity: props.scaling.max,
    });
    // Work waiting in the queue is the signal: add tasks while it grows, remove them once it is empty.
    scaling.scaleOnMetric('QueueDepth', {
      metric: props.queues.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      scalingSteps: [
        { upper: 0, change: -1 },
        { lower: 100, change: 1 },
        { lower: 1000, change: 3 },
      ],
      adjustmentType: applicationautoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: Duration.minutes(2),
    });
    // The directory also serves REST; CPU covers load that never touches its queue.
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 70 });

    acknowledge(
      task.executionRole ?? task,
      'AwsSolutions-IAM5[Resource::*]',
      `The ${name} execution role pulls its image: ecr:GetAuthorizationToken has no resource-level permissions.`,
    );
    acknowledge(
      task,
      'AwsSolutions-ECS2',
      `The ${name} container's environment holds settings (names, ports, ARNs); secrets come from Secrets Manager.`,
    );
  }
}
