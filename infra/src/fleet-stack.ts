import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SERVICE_NAMES, fleetRouting, type FleetRouting, type ServiceName } from '@ocf/routing';
import { AGENT_SECRET_TAG_KEYS } from '@ocf/secrets';
import { AGENT_TEMPLATE, AgentRuntime } from './constructs/agents.ts';
import type { TaskSize } from './constructs/containers.ts';
import { EventRouting } from './constructs/event-routing.ts';
import { FleetService, SERVICE_PORT } from './constructs/fleet-service.ts';
import { Homeserver, WORKER_CLIENT_PATHS, type SynapseWorkers } from './constructs/homeserver.ts';
import { InternalTls } from './constructs/internal-tls.ts';
import { MatrixWebClient, MATRIX_WEB_CLIENT_PORT } from './constructs/matrix-web-client.ts';
import { FleetImages } from './constructs/images.ts';
import { Network, VPC_CIDR } from './constructs/network.ts';
import { Observability } from './constructs/observability.ts';
import { OperatorAccess } from './constructs/operator-access.ts';
import { FleetTables } from './constructs/tables.ts';
import { servicePermissions, type FleetResources } from './service-permissions.ts';

/** What an operator decides about one fleet; everything else follows from the routing. */
export interface FleetSettings {
  /** `OCF_ENV`: names the fleet and every resource in it, exactly as the local stack does. */
  readonly environment: string;
  /** Bedrock models (or inference profiles) agents may invoke. Nothing else is allowed. */
  readonly modelArns: readonly string[];
  /**
   * The ACM certificate of the internal load balancer, for `domainName`. Required: API tokens and
   * Matrix passwords cross the load balancer, and agents reach Matrix and the directory through
   * it. Without one, synthesis fails unless `allowPlaintext` is set.
   */
  readonly certificateArn?: string | undefined;
  /**
   * The name the certificate is for; a record in your (private) DNS zone must point it at the
   * load balancer (output `LoadBalancerDnsName`). Required with `certificateArn`: clients verify it.
   */
  readonly domainName?: string | undefined;
  /**
   * Accept plain HTTP on the load balancer and between agents and the homeserver / directory,
   * inside the VPC. Anyone with a foothold in the VPC (a compromised task, a mirrored ENI, a
   * peered network in `operatorCidrs`) can then read API tokens and Matrix passwords. For
   * throwaway test fleets only; docs/deploy.md.
   */
  readonly allowPlaintext?: boolean | undefined;
  /** Where alarms are mailed (the topic exists either way). */
  readonly alarmEmail?: string | undefined;
  /** Networks allowed to reach the load balancer. Default: the VPC only. */
  readonly operatorCidrs?: readonly string[] | undefined;
  /** Keep tables, file systems, the database and the key when the stack goes. Default: true. */
  readonly retainData?: boolean | undefined;
  /** The `:server` of every Matrix id; fixed once users exist. Default: `<environment>.ocf.internal`. */
  readonly matrixServerName?: string | undefined;
  /** The human CEO's Matrix id, invited to every org room. Default: `@ceo:<matrixServerName>`. */
  readonly ceoMatrixUserId?: string | undefined;
  /** p90 time from a hire to a running agent before the cascade alarm fires. Default: 5 minutes. */
  readonly cascadeLatencyTarget?: Duration | undefined;
  /** Size of each agent's task. Default: 0.5 vCPU, 1 GiB. */
  readonly agentTaskSize?: TaskSize | undefined;
  /**
   * Size of the homeserver's task. Default: 0.5 vCPU, 1 GiB. Synapse's main process runs Python
   * on one core, so past 1 vCPU a bigger task buys memory and database connections, not hires per
   * second (docs/deploy.md, "How the homeserver scales").
   */
  readonly homeserverTaskSize?: TaskSize | undefined;
  /** Homeserver database instance. Default: db.t4g.micro, single-AZ. */
  readonly homeserverInstanceType?: ec2.InstanceType | undefined;
  readonly homeserverMultiAz?: boolean | undefined;
  /**
   * Synapse's shared-secret registration (`/_synapse/admin/v1/register`), for making the first
   * human admin: switch it on, deploy, register, switch it off again. Default: off. Nothing of the
   * fleet needs it — the bridge is an application service with no admin rights (ADR 0020).
   */
  readonly homeserverSharedSecretRegistration?: boolean | undefined;
  /**
   * Synapse workers (docs/deploy.md, "How the homeserver scales"): generic workers taking the
   * client endpoints a hire costs, and event persisters, with an ElastiCache Redis for
   * replication. Needs `certificateArn` (the processes call each other through Service Connect
   * with TLS). Default: none, one Synapse process.
   */
  readonly synapseWorkers?: SynapseWorkers | undefined;
  /**
   * Element, a full Matrix web client for operators, at `<operator URL>/element/`, configured for
   * the fleet's homeserver. Default: on.
   */
  readonly matrixWebClient?: boolean | undefined;
  /** Availability zones for tasks and endpoints. Default: 2. */
  readonly maxAzs?: number | undefined;
}

export type FleetStackProps = StackProps & FleetSettings;

/** Where Synapse pushes events to the bridge (OCF_BRIDGE_AS_PORT locally). */
export const BRIDGE_APPSERVICE_PORT = 9009;
/** The bridge's application-service endpoint as Service Connect names it, and its proxy's TLS port (ADR 0026). */
export const BRIDGE_APPSERVICE_NAME = 'bridge-appservice';
export const BRIDGE_APPSERVICE_TLS_PORT = 19009;

const SERVICE_SIZE: TaskSize = { cpu: 256, memoryMiB: 512 };
const LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/**
 * Task counts per service; each scales on its queue between the two. Health stays at one: a
 * second would publish the fleet's counts twice and act on every failure twice.
 */
const SCALING: { readonly [S in ServiceName]: { min: number; max: number } } = {
  directory: { min: 1, max: 4 },
  credentials: { min: 1, max: 4 },
  bridge: { min: 1, max: 4 },
  provisioning: { min: 1, max: 4 },
  health: { min: 1, max: 1 },
  // One task: budgets are enforced against its view of the month's spend, and ADR 0017 proves
  // the overspend bound for one gateway. More tasks multiply the bound (see the ADR).
  'model-gateway': { min: 1, max: 1 },
};

/**
 * The whole fleet in one stack: network, event routing, tables, the homeserver, the agents'
 * runtime, the five services, the operators' entrance and the dashboard with its alarms.
 */
export class FleetStack extends Stack {
  readonly routing: FleetRouting;

  constructor(scope: Construct, id: string, props: FleetStackProps) {
    super(scope, id, props);
    const routing = fleetRouting(props.environment);
    this.routing = routing;
    const retainData = props.retainData ?? true;
    if (props.certificateArn === undefined && props.allowPlaintext !== true) {
      throw new Error(
        'certificateArn is required: API tokens and Matrix passwords travel through the load balancer. ' +
          'Give -c certificateArn=arn:aws:acm:... -c domainName=<the name it is for>, ' +
          'or -c allowPlaintext=true to accept clear text inside the VPC (docs/deploy.md, "TLS").',
      );
    }
    if (props.certificateArn === undefined) {
      // Asked for by name, and still said out loud at every synth and deploy.
      Annotations.of(this).addWarningV2(
        '@ocf/infra:allowPlaintext',
        'allowPlaintext=true: API tokens, Matrix passwords and tokens, model keys and the application-service tokens travel in clear inside the VPC. Throwaway test fleets only (docs/deploy.md, "TLS").',
      );
    }
    if (props.certificateArn !== undefined && props.domainName === undefined) {
      throw new Error(
        'domainName is required with certificateArn: clients verify the certificate against the name they call, ' +
          "and the load balancer's own DNS name is never on it",
      );
    }
    const namespace = `${routing.environment}.ocf.internal`;
    const serverName = props.matrixServerName ?? namespace;

    Tags.of(this).add(AGENT_SECRET_TAG_KEYS.environment, routing.environment);
    Tags.of(this).add(AGENT_SECRET_TAG_KEYS.managedBy, 'cdk');

    // One customer-managed key for the fleet's queues, secrets, database and alarm topic: one
    // place to audit (CloudTrail) and to revoke.
    const key = new kms.Key(this, 'Key', {
      alias: `alias/${routing.prefix}`,
      description: `Open-Claw-Fleet ${routing.environment}: queues, secrets, database, alarms`,
      enableKeyRotation: true,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const network = new Network(this, 'Network', { maxAzs: props.maxAzs ?? 2, logRetention: LOG_RETENTION });
    const eventRouting = new EventRouting(this, 'Events', { routing, key });
    const { tables } = new FleetTables(this, 'Tables', { routing, retainData });
    // Two clusters: the platform (services, homeserver) and the agents. Agents' tasks are what
    // provisioning and health may touch, and what the agent dashboards count.
    const cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: routing.prefix,
      vpc: network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      defaultCloudMapNamespace: { name: namespace, vpc: network.vpc, useForServiceConnect: false },
    });
    const agentCluster = new ecs.Cluster(this, 'AgentCluster', {
      clusterName: `${routing.prefix}-agents`,
      vpc: network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const images = new FleetImages(this, 'Images');

    const operatorAccess = new OperatorAccess(this, 'OperatorAccess', {
      routing,
      network,
      certificateArn: props.certificateArn,
      domainName: props.domainName,
      operatorCidrs: props.operatorCidrs ?? [VPC_CIDR],
    });

    // TLS inside the VPC too (ADR 0026), whenever the load balancer has it: the bridge and Synapse
    // call each other through Service Connect, proxy to proxy over TLS 1.3 with certificates from
    // the fleet's private CA. Plaintext mode keeps the direct hops in clear.
    const internalTls = operatorAccess.https ? new InternalTls(this, 'InternalTls', { routing }) : undefined;
    const namespaceArn = cluster.defaultCloudMapNamespace?.namespaceArn;
    const serviceConnect =
      internalTls === undefined || namespaceArn === undefined
        ? undefined
        : { namespace: namespaceArn, tls: internalTls.serviceConnectTls };

    const homeserver = new Homeserver(this, 'Homeserver', {
      routing,
      network,
      cluster,
      image: images.homeserver,
      key,
      serverName,
      publicBaseUrl: `${operatorAccess.url}/`,
      appserviceUrl:
        serviceConnect === undefined
          ? `http://bridge.${namespace}:${BRIDGE_APPSERVICE_PORT}`
          : `http://${BRIDGE_APPSERVICE_NAME}:${BRIDGE_APPSERVICE_PORT}`,
      ...(serviceConnect === undefined ? {} : { serviceConnect }),
      size: props.homeserverTaskSize ?? { cpu: 512, memoryMiB: 1024 },
      database: {
        instanceType:
          props.homeserverInstanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
        multiAz: props.homeserverMultiAz ?? false,
      },
      sharedSecretRegistration: props.homeserverSharedSecretRegistration ?? false,
      ...(props.synapseWorkers === undefined ? {} : { workers: props.synapseWorkers }),
      logRetention: LOG_RETENTION,
      retainData,
    });
    // TLS to Synapse's own TLS listener when the listener has it (ADR 0027).
    const matrixTarget = homeserver.loadBalancerTarget(operatorAccess.https);
    operatorAccess.routeMatrix(matrixTarget.target, matrixTarget.port);
    // With generic workers, the client endpoints a hire costs go to them (ahead of the rule above).
    const workersTarget = homeserver.workersLoadBalancerTarget();
    if (workersTarget !== undefined)
      operatorAccess.routeMatrixWorkers(workersTarget, matrixTarget.port, WORKER_CLIENT_PATHS);
    // With workers the bridge goes through the load balancer's HTTPS listener as agents do, so one
    // router (the listener's rules) splits its calls between the workers and the main process.
    const bridgeHomeserverUrl = homeserver.workerServices.length > 0 ? operatorAccess.url : homeserver.url;

    if (props.matrixWebClient ?? true) {
      const element = new MatrixWebClient(this, 'MatrixWebClient', {
        routing,
        network,
        cluster,
        homeserverUrl: operatorAccess.url,
        serverName,
        logRetention: LOG_RETENTION,
      });
      // Static files, nothing secret in either direction: plain HTTP from the load balancer
      // (docs/security.md, boundary 8).
      operatorAccess.routeMatrixWebClient(
        element.target,
        MATRIX_WEB_CLIENT_PORT,
        elbv2.ApplicationProtocol.HTTP,
      );
    }

    const agents = new AgentRuntime(this, 'Agents', {
      routing,
      network,
      image: images.agent,
      key,
      // With TLS, through the load balancer's HTTPS listener like Matrix and the directory: the
      // agent's model key is a bearer token too.
      modelGatewayUrl: operatorAccess.https
        ? operatorAccess.url
        : `http://model-gateway.${namespace}:${SERVICE_PORT}`,
      size: props.agentTaskSize ?? { cpu: 512, memoryMiB: 1024 },
      // With TLS (the default), agents reach Matrix and the directory through the load balancer's
      // HTTPS listener, as operators do: their password, access token and directory token never
      // travel in clear. Plaintext mode keeps the direct hops inside the VPC.
      matrix: { homeserverUrl: operatorAccess.https ? operatorAccess.url : homeserver.url, serverName },
      directoryUrl: operatorAccess.https
        ? operatorAccess.url
        : `http://directory.${namespace}:${SERVICE_PORT}`,
      logRetention: LOG_RETENTION,
      retainData,
    });
    if (operatorAccess.https) {
      operatorAccess.allowClientsFrom(
        agents.securityGroup,
        'Matrix client API and the directory, from agents, over HTTPS',
      );
    } else {
      homeserver.allowClientsFrom(agents.securityGroup, 'Matrix client API from agents (plaintext mode)');
    }

    const resources: FleetResources = {
      routing,
      bus: eventRouting.bus,
      queues: eventRouting.queues,
      tables,
      key,
      modelArns: props.modelArns,
      agentCluster,
      agents: {
        template: agents.template,
        fileSystem: agents.fileSystem,
        taskRole: agents.taskRole,
        executionRole: agents.executionRole,
      },
    };
    // The human CEO: invited to every org room by the bridge, and on every agent's DM allow-list.
    const ceoUserId = props.ceoMatrixUserId ?? `@ceo:${serverName}`;
    // Each service's own settings, as its config.ts reads them.
    const settings: { readonly [S in ServiceName]: Record<string, string> } = {
      // The console's chat (ADR 0025): the homeserver as an operator's browser reaches it (the load
      // balancer) and the server name of agents' Matrix ids. Unset, the console has no chat.
      directory: { CONSOLE_HOMESERVER_URL: operatorAccess.url, MATRIX_SERVER_NAME: serverName },
      credentials: { CREDENTIALS_KMS_KEY_ID: key.keyArn },
      bridge: {
        MATRIX_HOMESERVER_URL: bridgeHomeserverUrl,
        MATRIX_SERVER_NAME: serverName,
        BRIDGE_AS_PORT: String(BRIDGE_APPSERVICE_PORT),
        BRIDGE_CEO_USER_ID: ceoUserId,
      },
      provisioning: {
        AGENT_RUNNER: 'ecs',
        AGENT_CLUSTER: agentCluster.clusterName,
        AGENT_TASK_DEFINITION: agents.template.taskDefinitionArn,
        AGENT_CONTAINER_NAME: AGENT_TEMPLATE.agentContainer,
        AGENT_SUBNETS: network.vpc.isolatedSubnets.map((subnet) => subnet.subnetId).join(','),
        AGENT_SECURITY_GROUPS: agents.securityGroup.securityGroupId,
        AGENT_FILE_SYSTEM_ID: agents.fileSystem.fileSystemId,
        AGENT_DATA_MOUNT_PATH: AGENT_TEMPLATE.storagePath,
        // Who may message every agent directly (the console's chat is a DM, ADR 0025).
        AGENT_ORG_HUMANS: ceoUserId,
      },
      health: {
        AGENT_RUNNER: 'ecs',
        AGENT_CLUSTER: agentCluster.clusterName,
      },
      'model-gateway': {
        MODEL_UPSTREAM: 'bedrock',
        // The first model is the one agents use; the others are what it may route to (an
        // inference profile's regional models), which the gateway's role allows as well.
        MODEL_UPSTREAM_MODEL: firstModel(props.modelArns),
      },
    };
    // The bridge's homeserver credentials, resolved by ECS at start (services/bridge/src/config.ts):
    // its application-service tokens, and nothing else — no admin, no shared secret (ADR 0020).
    const { asToken, hsToken } = homeserver.bridgeSecrets;
    const bridgeSecrets = {
      BRIDGE_AS_TOKEN: ecs.Secret.fromSecretsManager(asToken),
      BRIDGE_HS_TOKEN: ecs.Secret.fromSecretsManager(hsToken),
    };

    const servicesScope = new Construct(this, 'Services');
    const services = Object.fromEntries(
      SERVICE_NAMES.map((name) => [
        name,
        new FleetService(servicesScope, name, {
          name,
          routing,
          cluster,
          network,
          image: images.services,
          size: SERVICE_SIZE,
          queues: eventRouting.queues[name],
          settings: settings[name],
          permissions: servicePermissions(servicesScope, name, resources),
          ...(name === 'bridge'
            ? {
                secrets: bridgeSecrets,
                extraPorts: [BRIDGE_APPSERVICE_PORT],
                ...(serviceConnect === undefined
                  ? { discoverable: true }
                  : {
                      serviceConnect: {
                        ...serviceConnect,
                        serves: [
                          {
                            port: BRIDGE_APPSERVICE_PORT,
                            dnsName: BRIDGE_APPSERVICE_NAME,
                            tlsPort: BRIDGE_APPSERVICE_TLS_PORT,
                          },
                        ],
                      },
                    }),
              }
            : {}),
          // The load balancer's targets: with TLS, they serve HTTPS only (ADR 0027); in plaintext
          // mode, plain HTTP, and agents call them directly by their Cloud Map names.
          ...(name === 'directory' || name === 'model-gateway'
            ? operatorAccess.https
              ? { servesTls: true }
              : { discoverable: true }
            : {}),
          scaling: SCALING[name],
          logRetention: LOG_RETENTION,
        }),
      ]),
    ) as { [S in ServiceName]: FleetService };

    // The only paths between the parts, beyond each part's AWS APIs.
    const bridge = services.bridge;
    if (serviceConnect === undefined) {
      homeserver.allowClientsFrom(bridge.securityGroup, 'Matrix client API from the bridge (plaintext mode)');
      bridge.securityGroup.connections.allowFrom(
        homeserver.securityGroup,
        ec2.Port.tcp(BRIDGE_APPSERVICE_PORT),
        'Application-service transactions from Synapse (plaintext mode)',
      );
    } else {
      // Only the proxies' TLS ports: neither side can reach the other's plain port.
      homeserver.allowTlsClientsFrom(
        bridge.securityGroup,
        'Matrix client API from the bridge, TLS via Service Connect',
      );
      bridge.securityGroup.connections.allowFrom(
        homeserver.securityGroup,
        ec2.Port.tcp(BRIDGE_APPSERVICE_TLS_PORT),
        'Application-service transactions from Synapse, TLS via Service Connect',
      );
    }
    if (homeserver.workerServices.length > 0) {
      operatorAccess.allowClientsFrom(
        bridge.securityGroup,
        'Matrix client API from the bridge, over HTTPS (Synapse workers)',
      );
    }
    operatorAccess.routeDirectory(services.directory.service, SERVICE_PORT);
    // Agents' model calls, to the gateway only (it holds the only model permissions): through
    // the HTTPS listener with TLS, directly in plaintext mode.
    if (operatorAccess.https) {
      operatorAccess.routeModelGateway(services['model-gateway'].service, SERVICE_PORT);
    } else {
      services['model-gateway'].securityGroup.connections.allowFrom(
        agents.securityGroup,
        ec2.Port.tcp(SERVICE_PORT),
        "Model calls from agents, with each agent's own key (plaintext mode)",
      );
    }
    // The agents' people directory tool reads the org from the directory: through the load
    // balancer with TLS, directly inside the VPC in plaintext mode.
    if (!operatorAccess.https) {
      services.directory.securityGroup.connections.allowFrom(
        agents.securityGroup,
        ec2.Port.tcp(SERVICE_PORT),
        "Directory lookups from agents' people directory tool (plaintext mode)",
      );
    }

    const observability = new Observability(this, 'Observability', {
      routing,
      key,
      cluster,
      agentCluster,
      queues: eventRouting.queues,
      services: {
        ...(Object.fromEntries(SERVICE_NAMES.map((name) => [name, services[name].service])) as Record<
          ServiceName,
          ecs.FargateService
        >),
        homeserver: homeserver.service,
      },
      targetGroups: operatorAccess.targetGroups,
      cascadeLatencyTarget: props.cascadeLatencyTarget ?? Duration.minutes(5),
      alarmEmail: props.alarmEmail,
    });

    new CfnOutput(this, 'OperatorUrl', {
      value: operatorAccess.url,
      description: 'Directory REST API and Matrix client API (inside the VPC)',
    });
    new CfnOutput(this, 'LoadBalancerDnsName', {
      value: operatorAccess.loadBalancer.loadBalancerDnsName,
      description: 'Point domainName at this (an alias or CNAME record in your private zone)',
    });
    new CfnOutput(this, 'EventBusName', { value: eventRouting.bus.eventBusName });
    new CfnOutput(this, 'HirePublishersPolicyArn', {
      value: eventRouting.hirePublishers.managedPolicyArn,
      description: 'Attach to an outside system that publishes AgentHired / AgentRetired on the bus',
    });
    new CfnOutput(this, 'Dashboard', { value: observability.dashboard.dashboardName });
    new CfnOutput(this, 'AlarmTopicArn', { value: observability.topic.topicArn });
    new CfnOutput(this, 'AgentTemplateArn', { value: agents.template.taskDefinitionArn });
  }
}

function firstModel(modelArns: readonly string[]): string {
  const [first] = modelArns;
  if (first === undefined) throw new Error('the model gateway needs at least one model ARN');
  return first;
}
