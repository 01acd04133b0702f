import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { FleetRouting } from '@ocf/routing';
import { acknowledge } from '../nag.ts';
import type { Network } from './network.ts';

export interface OperatorAccessProps {
  readonly routing: FleetRouting;
  readonly network: Network;
  /**
   * HTTPS with this certificate (the default the stack insists on); without one the listener is
   * plain HTTP, which the stack allows only with `allowPlaintext` (see FleetSettings).
   */
  readonly certificateArn: string | undefined;
  /** The name the certificate is for, resolving to the load balancer; what clients verify. */
  readonly domainName: string | undefined;
  /** Who may reach the load balancer (the VPC itself, a VPN's range, a peered network). */
  readonly operatorCidrs: readonly string[];
}

/**
 * The one way in for people: an internal load balancer (no public address, nothing in front of
 * it from the internet) carrying the directory's REST API and the homeserver's client API.
 *
 * - The directory gets only requests that carry a bearer token; the service checks the token.
 *   Anything else is refused here with 401, so nothing reaches the API anonymously. The one
 *   exception is the web console's page and assets under /console (no data in them).
 * - Matrix clients get `/_matrix/*` and `/_synapse/client/*`; Synapse's admin API is refused
 *   here with 403. The bridge reaches the admin API inside the VPC, through Cloud Map.
 */
export class OperatorAccess extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  /** `https://<domain name>` (or `http://<internal DNS name>` in plaintext mode), what clients use. */
  readonly url: string;
  readonly https: boolean;
  readonly port: number;
  /** What the load balancer forwards to, by the name alarms use. */
  readonly targetGroups: Record<string, elbv2.ApplicationTargetGroup> = {};

  constructor(scope: Construct, id: string, props: OperatorAccessProps) {
    super(scope, id);
    const { network } = props;
    const https = props.certificateArn !== undefined;
    const port = https ? 443 : 80;
    this.https = https;
    this.port = port;

    const group = network.securityGroup(
      'SecurityGroup',
      'Internal load balancer: operators in; out to the directory and the homeserver only',
      this,
    );
    for (const cidr of props.operatorCidrs) {
      group.addIngressRule(
        ec2.Peer.ipv4(cidr),
        ec2.Port.tcp(port),
        `Operators and Matrix clients from ${cidr}`,
      );
    }

    // Audit trail of every request; kept when the stack goes, emptied by its own lifecycle.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, // the only encryption ALB log delivery supports
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      accessLogs,
      'AwsSolutions-S1',
      'This bucket only receives the load balancer access logs; logging reads of the logs would need yet another bucket.',
    );

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: network.vpc,
      vpcSubnets: network.subnets,
      internetFacing: false,
      securityGroup: group,
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(accessLogs, props.routing.prefix);

    const refuseAnonymous = elbv2.ListenerAction.fixedResponse(401, {
      contentType: 'application/json',
      messageBody: JSON.stringify({
        error: 'UNAUTHENTICATED',
        message: 'this API needs a valid API token: Authorization: Bearer <token>',
      }),
    });
    this.listener = https
      ? this.loadBalancer.addListener('Https', {
          port,
          protocol: elbv2.ApplicationProtocol.HTTPS,
          certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
          sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          open: false,
          defaultAction: refuseAnonymous,
        })
      : this.loadBalancer.addListener('Http', {
          port,
          protocol: elbv2.ApplicationProtocol.HTTP,
          open: false,
          defaultAction: refuseAnonymous,
        });
    this.url = `${https ? 'https' : 'http'}://${props.domainName ?? this.loadBalancer.loadBalancerDnsName}`;
  }

  /** Lets a group of tasks in the VPC call the load balancer (agents, for Matrix and the directory). */
  allowClientsFrom(group: ec2.ISecurityGroup, description: string): void {
    this.loadBalancer.connections.allowFrom(group, ec2.Port.tcp(this.port), description);
  }

  /**
   * One listener rule that forwards to a service's target group. With TLS on the listener, the
   * hop to the target is TLS too (ADR 0027): an HTTPS target group and HTTPS health checks, to a
   * port where the target serves TLS with a certificate it made at start (the load balancer
   * encrypts to targets but does not check their certificates). In plaintext mode, plain HTTP.
   */
  private forward(
    id: string,
    props: {
      readonly priority: number;
      readonly conditions: elbv2.ListenerCondition[];
      readonly target: elbv2.IApplicationLoadBalancerTarget;
      readonly port: number;
      readonly healthCheckPath: string;
      readonly healthCheckInterval: Duration;
      /** Override for a target that serves plain HTTP only (Element's static files). */
      readonly protocol?: elbv2.ApplicationProtocol;
    },
  ): elbv2.ApplicationTargetGroup {
    const protocol =
      props.protocol ?? (this.https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP);
    return this.listener.addTargets(id, {
      priority: props.priority,
      conditions: props.conditions,
      port: props.port,
      protocol,
      targets: [props.target],
      healthCheck: {
        path: props.healthCheckPath,
        protocol: protocol === elbv2.ApplicationProtocol.HTTPS ? elbv2.Protocol.HTTPS : elbv2.Protocol.HTTP,
        healthyHttpCodes: '200',
        interval: props.healthCheckInterval,
      },
      deregistrationDelay: Duration.seconds(30),
    });
  }

  /** The directory's REST API, for requests that carry a bearer token. */
  routeDirectory(service: ecs.FargateService, port: number): void {
    this.targetGroups['directory'] = this.forward('Directory', {
      priority: 30,
      conditions: [elbv2.ListenerCondition.httpHeader('Authorization', ['Bearer *'])],
      target: service,
      port,
      // /healthz, not /readyz: a DynamoDB blip must not make ECS replace every directory task.
      healthCheckPath: '/healthz',
      healthCheckInterval: Duration.seconds(15),
    });
    // The web console's page and assets (ADR 0025): a browser loads them without a token (they hold
    // no data); every data call the page makes carries one and takes the rule above.
    this.listener.addAction('Console', {
      priority: 31,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/console', '/console/*'])],
      action: elbv2.ListenerAction.forward([this.targetGroups['directory']]),
    });
  }

  /**
   * The model gateway's OpenAI-compatible API, for agents (each with its own model key as the
   * bearer token): on the HTTPS listener, so the key is never sent in clear (ADR 0026). Ahead of
   * the directory's rule, which would otherwise take every request with a bearer token.
   */
  routeModelGateway(service: ecs.FargateService, port: number): void {
    this.targetGroups['model-gateway'] = this.forward('ModelGateway', {
      priority: 25,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/v1/chat/completions', '/v1/models'])],
      target: service,
      port,
      healthCheckPath: '/healthz',
      healthCheckInterval: Duration.seconds(15),
    });
  }

  /**
   * The homeserver's client API for Matrix clients; its admin API stays inside the VPC. `target`
   * is Synapse's TLS listener with TLS on the listener, its plain one in plaintext mode.
   */
  routeMatrix(target: elbv2.IApplicationLoadBalancerTarget, port: number): void {
    this.listener.addAction('RefuseSynapseAdmin', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/_synapse/admin*'])],
      action: elbv2.ListenerAction.fixedResponse(403, {
        contentType: 'application/json',
        messageBody: JSON.stringify({ errcode: 'M_FORBIDDEN', error: 'the admin API is not served here' }),
      }),
    });
    this.targetGroups['homeserver'] = this.forward('Homeserver', {
      priority: 20,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/_matrix/*', '/_synapse/client/*'])],
      target,
      port,
      healthCheckPath: '/health',
      healthCheckInterval: Duration.seconds(30),
    });
  }

  /**
   * Synapse's generic workers (docs/deploy.md, "How the homeserver scales"): the client endpoints
   * in `pathGroups`, one rule per group of at most five, ahead of the main process's rule.
   */
  routeMatrixWorkers(
    target: elbv2.IApplicationLoadBalancerTarget,
    port: number,
    pathGroups: readonly (readonly string[])[],
  ): void {
    const [first, ...rest] = pathGroups;
    if (first === undefined) return;
    const group = this.forward('HomeserverWorkers', {
      priority: 11,
      conditions: [elbv2.ListenerCondition.pathPatterns([...first])],
      target,
      port,
      healthCheckPath: '/health',
      healthCheckInterval: Duration.seconds(30),
    });
    this.targetGroups['homeserver-workers'] = group;
    rest.forEach((paths, index) => {
      this.listener.addAction(`HomeserverWorkers${index + 2}`, {
        priority: 12 + index,
        conditions: [elbv2.ListenerCondition.pathPatterns([...paths])],
        action: elbv2.ListenerAction.forward([group]),
      });
    });
  }

  /**
   * Element, a full Matrix web client, under /element/ (its static files only; it talks to the
   * homeserver through the rule above, from the operator's browser).
   */
  routeMatrixWebClient(
    target: elbv2.IApplicationLoadBalancerTarget,
    port: number,
    protocol: elbv2.ApplicationProtocol,
  ): void {
    this.targetGroups['matrix-web-client'] = this.forward('MatrixWebClient', {
      priority: 40,
      conditions: [
        elbv2.ListenerCondition.pathPatterns([MATRIX_WEB_CLIENT_PATH, `${MATRIX_WEB_CLIENT_PATH}/*`]),
      ],
      target,
      port,
      protocol,
      healthCheckPath: `${MATRIX_WEB_CLIENT_PATH}/version`,
      healthCheckInterval: Duration.seconds(30),
    });
  }
}

/** Where operators open Element on the load balancer. */
export const MATRIX_WEB_CLIENT_PATH = '/element';
