import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface NetworkProps {
  readonly maxAzs: number;
  readonly logRetention: logs.RetentionDays;
}

/** The id CDK gives the one function behind every AwsCustomResource of a stack. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** The VPC's range: a constant, so rules that name it stay readable (and checkable) at synth. */
export const VPC_CIDR = '10.40.0.0/16';

/**
 * Interface endpoints for every AWS API a task calls. With them (and the S3 and DynamoDB gateway
 * endpoints) the subnets need no route to the internet at all: no NAT gateway, no internet
 * gateway, and nothing inside can reach anything outside but these APIs.
 */
const INTERFACE_ENDPOINTS = {
  Ecr: ec2.InterfaceVpcEndpointAwsService.ECR, // image manifests (layers come from S3)
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS, // awslogs driver
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, // credentials, bridge, task secrets
  Sqs: ec2.InterfaceVpcEndpointAwsService.SQS, // every service's queue
  Events: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE, // PutEvents
  Monitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING, // health's PutMetricData
  Ecs: ec2.InterfaceVpcEndpointAwsService.ECS, // provisioning and health (tasks)
  Efs: ec2.InterfaceVpcEndpointAwsService.ELASTIC_FILESYSTEM, // provisioning (access points)
  BedrockRuntime: ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME, // agents' models
} as const;

/**
 * The fleet's VPC: isolated subnets only, reached through VPC endpoints. Security groups start
 * closed in both directions; `allowAwsApis` and the constructs that own a port open exactly the
 * paths that must exist.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  private readonly endpoints: ec2.SecurityGroup;
  private readonly s3: ec2.IPeer;
  private readonly dynamodb: ec2.IPeer;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: props.maxAzs,
      natGateways: 0,
      // /18 per AZ: room for thousands of agent tasks, one ENI address each.
      subnetConfiguration: [{ name: 'tasks', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 18 }],
      // The default security group allows all traffic between its members; nothing uses it.
      restrictDefaultSecurityGroup: true,
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      // Rejected flows only: what a too-tight rule blocked, without paying for every accepted packet.
      flowLogs: {
        Rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });

    this.endpoints = this.securityGroup('Endpoints', 'Interface VPC endpoints: HTTPS from fleet tasks only');
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: this.subnets,
        securityGroups: [this.endpoints],
        // Closed: each task's group is let in by allowAwsApis, not the whole VPC range.
        open: false,
        privateDnsEnabled: true,
      });
    }

    // Gateway endpoints are reached through route tables, so a security group can only name
    // them by their managed prefix lists, whose ids differ per region and are not known at synth.
    this.s3 = this.prefixList('S3PrefixList', 's3');
    this.dynamodb = this.prefixList('DynamoDbPrefixList', 'dynamodb');
    // The lookups share one CDK-made function, created at the stack's root.
    const provider = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider !== undefined) {
      acknowledge(
        provider,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's AwsCustomResource function (the prefix list lookups) uses the AWS managed policy only to write its own logs.",
      );
    }
  }

  /** A security group that allows nothing in and nothing out until rules are added. */
  securityGroup(id: string, description: string, scope: Construct = this): ec2.SecurityGroup {
    return new ec2.SecurityGroup(scope, id, { vpc: this.vpc, description, allowAllOutbound: false });
  }

  /**
   * Lets a task group call the AWS APIs through the endpoints: HTTPS to the interface endpoints
   * and to S3 (ECR image layers), and to DynamoDB when the task uses it.
   */
  allowAwsApis(group: ec2.SecurityGroup, options: { dynamodb: boolean }): void {
    group.connections.allowTo(this.endpoints, ec2.Port.tcp(443), 'AWS APIs through interface endpoints');
    group.addEgressRule(this.s3, ec2.Port.tcp(443), 'ECR image layers through the S3 gateway endpoint');
    if (options.dynamodb) {
      group.addEgressRule(this.dynamodb, ec2.Port.tcp(443), 'DynamoDB through its gateway endpoint');
    }
  }

  private prefixList(id: string, service: 's3' | 'dynamodb'): ec2.IPeer {
    const lookup = new cr.AwsCustomResource(this, id, {
      onUpdate: {
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: {
          Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${Aws.REGION}.${service}`] }],
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${service}-prefix-list`),
        outputPaths: ['PrefixLists.0.PrefixListId'],
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    acknowledge(
      lookup,
      'AwsSolutions-IAM5[Resource::*]',
      'ec2:DescribeManagedPrefixLists has no resource-level permissions; the lookup only reads prefix list ids.',
    );
    return ec2.Peer.prefixList(lookup.getResponseField('PrefixLists.0.PrefixListId'));
  }
}
