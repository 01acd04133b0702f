import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import path from 'node:path';
import { Construct } from 'constructs';
import type { FleetRouting } from '@ocf/routing';
import { taskRole } from '../iam.ts';
import { acknowledge } from '../nag.ts';
import { ARM64_LINUX, hardened, privateService } from './containers.ts';
import { REPO_ROOT } from './images.ts';
import type { Network } from './network.ts';

/** Element's nginx port inside the task (ELEMENT_WEB_PORT in infra/docker/element-web). */
export const MATRIX_WEB_CLIENT_PORT = 8080;

/** The nginx images' unprivileged user. */
const NGINX_UID = '101:101';

export interface MatrixWebClientProps {
  readonly routing: FleetRouting;
  readonly network: Network;
  readonly cluster: ecs.ICluster;
  /** The homeserver as an operator's browser reaches it (the load balancer's URL). */
  readonly homeserverUrl: string;
  readonly serverName: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Element (Element's official image, pinned in infra/docker/element-web) configured for the
 * fleet's homeserver: a person logs in as a human user of the homeserver and talks to any agent.
 * Static files only; reachable only through the load balancer (operator access), under /element/.
 */
export class MatrixWebClient extends Construct {
  readonly service: ecs.FargateService;
  readonly securityGroup: ec2.SecurityGroup;
  readonly target: elbv2.IApplicationLoadBalancerTarget;

  constructor(scope: Construct, id: string, props: MatrixWebClientProps) {
    super(scope, id);
    const { routing, network } = props;
    this.securityGroup = network.securityGroup(
      'SecurityGroup',
      'Matrix web client (Element): static files, from the load balancer only',
      this,
    );
    // Image layers from ECR and its logs, through the VPC endpoints; nothing else.
    network.allowAwsApis(this.securityGroup, { dynamodb: false });

    const task = new ecs.FargateTaskDefinition(this, 'Task', {
      family: `${routing.prefix}-matrix-web-client`,
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: ARM64_LINUX,
      taskRole: taskRole(this, 'TaskRole', 'Matrix web client tasks: static files, no AWS API'),
      executionRole: taskRole(
        this,
        'ExecutionRole',
        'Matrix web client tasks, as ECS starts them: image, logs',
      ),
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/ocf/${routing.environment}/matrix-web-client`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const config = {
      default_server_config: {
        'm.homeserver': { base_url: props.homeserverUrl, server_name: props.serverName },
      },
      // The fleet's homeserver only: no other server to pick, no guests (registration is closed).
      disable_custom_urls: true,
      disable_guests: true,
      disable_3pid_login: true,
      brand: 'Open-Claw-Fleet',
      show_labs_settings: false,
    };
    const element = task.addContainer('element', {
      containerName: 'element',
      image: ecs.ContainerImage.fromDockerImageAsset(
        new ecrAssets.DockerImageAsset(this, 'Image', {
          directory: path.join(REPO_ROOT, 'infra/docker/element-web'),
          platform: ecrAssets.Platform.LINUX_ARM64,
          displayName: 'MatrixWebClient',
        }),
      ),
      // The nginx image's unprivileged user; the image makes its writable paths task-local volumes.
      ...hardened(this, 'Linux', NGINX_UID),
      environment: { ELEMENT_CONFIG: Stack.of(this).toJsonString(config) },
      portMappings: [{ containerPort: MATRIX_WEB_CLIENT_PORT, name: 'http' }],
      healthCheck: {
        // busybox wget, in the image; /version is one of Element's static files.
        command: [
          'CMD-SHELL',
          `wget -q -O /dev/null http://127.0.0.1:${MATRIX_WEB_CLIENT_PORT}/version || exit 1`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'element' }),
    });
    for (const [name, containerPath] of [
      ['config', '/run/element'],
      ['cache', '/var/cache/nginx'],
      ['server-config', '/etc/nginx/conf.d'],
      ['tmp', '/tmp'],
    ] as const) {
      task.addVolume({ name });
      element.addMountPoints({ sourceVolume: name, containerPath, readOnly: false });
    }

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: `${routing.prefix}-matrix-web-client`,
      cluster: props.cluster,
      taskDefinition: task,
      desiredCount: 1,
      ...privateService(network.subnets, this.securityGroup),
    });
    this.target = this.service.loadBalancerTarget({
      containerName: 'element',
      containerPort: MATRIX_WEB_CLIENT_PORT,
    });

    acknowledge(
      task.executionRole ?? task,
      'AwsSolutions-IAM5[Resource::*]',
      "Element's execution role pulls its image: ecr:GetAuthorizationToken has no resource-level permissions.",
    );
    acknowledge(
      task,
      'AwsSolutions-ECS2',
      "Element's environment holds its config.json: the homeserver's URL and server name, nothing secret.",
    );
  }
}
