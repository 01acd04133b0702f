import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { Network } from './network.ts';

export interface PrivateFileSystemProps {
  readonly network: Network;
  readonly name: string;
  /** The only tasks that may mount it, by network (NFS from this group) and by IAM (this role). */
  readonly clients: { readonly securityGroup: ec2.SecurityGroup; readonly role: iam.IRole };
  readonly retainData: boolean;
  readonly description: string;
}

/**
 * An encrypted EFS file system that one kind of task mounts, and only through an access point:
 * the access point pins the mount to one directory as one POSIX user, so a task definition
 * without one (such as the agents' template) cannot mount anything.
 */
export function privateFileSystem(
  scope: Construct,
  id: string,
  props: PrivateFileSystemProps,
): efs.FileSystem {
  const { network, clients } = props;
  const group = network.securityGroup(`${id}SecurityGroup`, props.description, scope);
  const fileSystem = new efs.FileSystem(scope, id, {
    fileSystemName: props.name,
    vpc: network.vpc,
    vpcSubnets: network.subnets,
    securityGroup: group,
    encrypted: true,
    throughputMode: efs.ThroughputMode.ELASTIC,
    // Idle data moves to the cheaper storage class, and back on first touch.
    lifecyclePolicy: efs.LifecyclePolicy.AFTER_30_DAYS,
    outOfInfrequentAccessPolicy: efs.OutOfInfrequentAccessPolicy.AFTER_1_ACCESS,
    enableAutomaticBackups: true,
    removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    // CDK's own "deny anonymous access" statement would let any IAM principal write through a
    // mount target. The policy below is narrower, and denies anonymous clients by not naming them.
    allowAnonymousAccess: true,
    fileSystemPolicy: new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'ClientsThroughAccessPointsOnly',
          principals: [clients.role],
          actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
          // The file system's own ARN would make the resource refer to itself.
          resources: ['*'],
          conditions: {
            Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
            ArnLike: {
              'elasticfilesystem:AccessPointArn': `arn:${Aws.PARTITION}:elasticfilesystem:${Aws.REGION}:${Aws.ACCOUNT_ID}:access-point/*`,
            },
          },
        }),
        new iam.PolicyStatement({
          sid: 'EncryptedTransportOnly',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['*'],
          resources: ['*'],
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ],
    }),
  });
  fileSystem.connections.allowDefaultPortFrom(clients.securityGroup, `NFS from ${props.name} clients`);
  return fileSystem;
}
