import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as efs from 'aws-cdk-lib/aws-efs';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import { METRICS_NAMESPACE } from '@ocf/metrics';
import { queuesCountedByDirectory, type FleetRouting, type ServiceName } from '@ocf/routing';
import { AGENT_SECRET_TAG_KEYS } from '@ocf/secrets';
import type { ServiceQueues } from './constructs/event-routing.ts';
import type { TableName } from './constructs/tables.ts';
import { agentSecretsArn, agentTokenKeyArn, keyUseThroughSecretsManager, modelKeyKeyArn } from './iam.ts';

/** Everything a service's permissions may name. */
export interface FleetResources {
  readonly routing: FleetRouting;
  readonly bus: events.IEventBus;
  readonly queues: { readonly [S in ServiceName]: ServiceQueues };
  readonly tables: { readonly [T in TableName]: dynamodb.ITable };
  readonly key: kms.IKey;
  /** The Bedrock models (or inference profiles) the model gateway may invoke for agents. */
  readonly modelArns: readonly string[];
  /** The cluster agent tasks run in (the services have their own). */
  readonly agentCluster: ecs.ICluster;
  readonly agents: {
    readonly template: ecs.TaskDefinition;
    readonly fileSystem: efs.IFileSystem;
    readonly taskRole: iam.IRole;
    readonly executionRole: iam.IRole;
  };
}

/** One statement of a service's task role. */
export interface Permission {
  readonly statement: iam.PolicyStatement;
  /** Why a wildcard in it cannot be narrower; becomes its cdk-nag acknowledgement. */
  readonly wildcard?: string;
}

/**
 * Each service's task role, action by action: exactly the calls its code makes (grep its
 * `*Command(`), on exactly its resources. infra/iam-allowlist.json holds the synthesized result
 * and a test compares the two, so any change here shows up there in review.
 */
export function servicePermissions(scope: IConstruct, service: ServiceName, r: FleetResources): Permission[] {
  return [...consumerPermissions(service, r), ...ownPermissions[service](scope, r)];
}

function allow(
  actions: string[],
  resources: string[],
  options: { readonly conditions?: Record<string, unknown>; readonly wildcard?: string } = {},
): Permission {
  const statement = new iam.PolicyStatement({
    actions,
    resources,
    ...(options.conditions === undefined ? {} : { conditions: options.conditions }),
  });
  return options.wildcard === undefined ? { statement } : { statement, wildcard: options.wildcard };
}

/** What every service's shared runtime does (shared/service, shared/runtime). */
function consumerPermissions(service: ServiceName, r: FleetResources): Permission[] {
  const { queue, deadLetterQueue } = r.queues[service];
  return [
    allow(
      [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage', // also authorises DeleteMessageBatch, which the consumer uses
        'sqs:ChangeMessageVisibility', // back-off, and the heartbeat of long handlers
        'sqs:GetQueueAttributes', // readiness
        'sqs:GetQueueUrl',
      ],
      [queue.queueArn],
    ),
    // A message that can never succeed goes to the DLQ at once, with its reason attached.
    allow(['sqs:SendMessage', 'sqs:GetQueueUrl'], [deadLetterQueue.queueArn]),
    allow(['kms:Decrypt', 'kms:GenerateDataKey'], [r.key.keyArn], {
      conditions: { StringEquals: { 'kms:ViaService': `sqs.${Aws.REGION}.amazonaws.com` } },
    }),
    // The dedupe lease table (shared/runtime/src/dedupe.ts) and the readiness check.
    allow(
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem', // completions, several to a request
        'dynamodb:DescribeTable',
      ],
      [r.tables.processedEvents.tableArn],
    ),
    // Publishing only as itself: the routing trusts `source` (ocf.directory is what starts a
    // cascade), so no service may publish under another's name.
    allow(['events:PutEvents'], [r.bus.eventBusArn], {
      conditions: { StringEquals: { 'events:source': `ocf.${service}` } },
    }),
  ];
}

type Permissions = (scope: IConstruct, r: FleetResources) => Permission[];

const ownPermissions: { readonly [S in ServiceName]: Permissions } = {
  // services/directory: the agent store and the API tokens (read only: tokens are made by an
  // operator's script, never by the service), and the key that checks agents' own read tokens
  // (read only: credentials makes it; ADR 0016).
  directory: (scope, r) => {
    const tokenKey = agentTokenKeyArn(scope, r.routing.environment);
    return [
      allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'], [r.tables.agents.tableArn]),
      allow(['dynamodb:Query'], [`${r.tables.agents.tableArn}/index/*`], {
        wildcard:
          "The directory's queries always name one of the agents table's indexes (org views, the outbox sweep, the change feed).",
      }),
      allow(['dynamodb:GetItem'], [r.tables.apiTokens.tableArn]),
      allow(['secretsmanager:GetSecretValue'], [tokenKey], {
        wildcard: 'Secrets Manager appends six random characters to the one secret named here.',
      }),
      { statement: keyUseThroughSecretsManager(r.key, ['kms:Decrypt'], [tokenKey]) },
      // The cascade resync counts what waits on the next steps' queues (ADR 0024): a step still
      // working through its queue is slow, not stuck. Counting only: no receive, no send.
      allow(
        ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        queuesCountedByDirectory().map((s) => r.queues[s].queue.queueArn),
      ),
    ];
  },

  // services/credentials: one secret per agent, created, restored, rotated and scheduled for
  // deletion, and never read back (GetSecretValue is not here); and the agent-token key, made
  // once and read to sign each agent's directory token (ADR 0016), never changed or deleted.
  credentials: (scope, r) => {
    const agentSecrets = agentSecretsArn(scope, r.routing.environment);
    const tokenKey = agentTokenKeyArn(scope, r.routing.environment);
    // The model gateway's key of agents' model keys (ADR 0017): made and read the same way.
    const modelKeyKey = modelKeyKeyArn(scope, r.routing.environment);
    return [
      allow(
        ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:GetSecretValue'],
        [tokenKey, modelKeyKey],
        {
          wildcard: 'Secrets Manager appends six random characters to each of the two secrets named here.',
        },
      ),
      {
        statement: keyUseThroughSecretsManager(
          r.key,
          ['kms:GenerateDataKey', 'kms:Decrypt'],
          [tokenKey, modelKeyKey],
        ),
      },
      allow(
        [
          'secretsmanager:CreateSecret',
          'secretsmanager:TagResource',
          'secretsmanager:DescribeSecret',
          'secretsmanager:RestoreSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:PutSecretValue',
        ],
        [agentSecrets],
        {
          wildcard:
            "Credentials manages every agent's secret; the pattern is the fleet's agent namespace, nothing wider.",
        },
      ),
      allow(['secretsmanager:ListSecrets'], ['*'], {
        wildcard: 'ListSecrets (the readiness probe) has no resource-level permissions.',
      }),
      {
        statement: keyUseThroughSecretsManager(r.key, ['kms:GenerateDataKey', 'kms:Decrypt'], [agentSecrets]),
      },
    ];
  },

  // services/bridge: its own table, and agents' secrets (it adds each agent's Matrix access token
  // to the current version, ADR 0020). Its homeserver tokens come through ECS secrets, resolved by
  // its execution role at start.
  bridge: (scope, r) => {
    const agentSecrets = agentSecretsArn(scope, r.routing.environment);
    return [
      allow(
        [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:DescribeTable', // readiness
        ],
        [r.tables.bridge.tableArn],
      ),
      allow(
        [
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          // The compare-and-set that makes its version current only if a rotation did not come first.
          'secretsmanager:UpdateSecretVersionStage',
        ],
        [agentSecrets],
        {
          wildcard:
            "The bridge mints every agent's Matrix token into that agent's secret, so it reads and writes any secret in the fleet's agent namespace.",
        },
      ),
      {
        statement: keyUseThroughSecretsManager(r.key, ['kms:GenerateDataKey', 'kms:Decrypt'], [agentSecrets]),
      },
    ];
  },

  // services/provisioning: its desired-state table; per agent, an access point on the agents'
  // file system, a task definition of its own (family `<template family>-<agentId>`) and a task.
  provisioning: (scope, r) => {
    const stack = Stack.of(scope);
    const cluster = { ArnEquals: { 'ecs:cluster': r.agentCluster.clusterArn } };
    const agentTaskDefinitions = stack.formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: `${r.agents.template.family}-*:*`,
    });
    const agentTasks = stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${r.agentCluster.clusterName}/*`,
    });
    const accessPoints = stack.formatArn({
      service: 'elasticfilesystem',
      resource: 'access-point',
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const environmentTag = AGENT_SECRET_TAG_KEYS.environment;
    const fileSystem = r.agents.fileSystem.fileSystemArn;
    return [
      // A secret ARN an event carries must be the agent's own (name, ARN and tags) before an agent
      // is launched with it: metadata only, never the value (no GetSecretValue, no KMS).
      allow(['secretsmanager:DescribeSecret'], [agentSecretsArn(scope, r.routing.environment)], {
        wildcard:
          "Provisioning checks any agent's secret ARN before launching with it; the pattern is the fleet's agent namespace.",
      }),
      allow(
        ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Scan', 'dynamodb:DescribeTable'],
        [r.tables.provisioning.tableArn],
      ),
      // Task definitions: these four have no resource-level permissions in ECS. Registering
      // still needs the fleet's environment tag on the new definition.
      allow(['ecs:RegisterTaskDefinition'], ['*'], {
        conditions: { StringEquals: { [`aws:RequestTag/${environmentTag}`]: r.routing.environment } },
        wildcard:
          'RegisterTaskDefinition has no resource-level permissions; the fleet environment tag is required instead.',
      }),
      allow(['ecs:DescribeTaskDefinition', 'ecs:ListTaskDefinitions'], ['*'], {
        wildcard: 'DescribeTaskDefinition and ListTaskDefinitions have no resource-level permissions in ECS.',
      }),
      // Retirement deregisters the agent's own revisions (ecs-task-runner releaseStorage), and
      // nothing else: never the template, never another fleet's or another application's.
      allow(['ecs:DeregisterTaskDefinition'], [agentTaskDefinitions], {
        wildcard:
          'Every agent has a task definition family of its own, `<template family>-<agentId>`, with many revisions.',
      }),
      // Agents' own definitions only (never the template itself), in the agents' cluster only.
      allow(['ecs:RunTask'], [agentTaskDefinitions], {
        conditions: cluster,
        wildcard:
          'Every agent has a task definition family of its own, `<template family>-<agentId>`, with many revisions.',
      }),
      allow(['ecs:StopTask', 'ecs:DescribeTasks'], [agentTasks], {
        conditions: cluster,
        wildcard: "Provisioning stops and describes any agent's task, and only tasks of the agents' cluster.",
      }),
      allow(['ecs:ListTasks'], ['*'], {
        conditions: cluster,
        wildcard:
          "ListTasks has no resource-level permissions; the condition pins it to the agents' cluster.",
      }),
      allow(['ecs:DescribeClusters'], [r.agentCluster.clusterArn]), // readiness
      // Tags only while creating the task or the definition (tag-on-create).
      allow(['ecs:TagResource'], [agentTasks, agentTaskDefinitions], {
        conditions: { StringEquals: { 'ecs:CreateAction': ['RunTask', 'RegisterTaskDefinition'] } },
        wildcard: "Tags go on each agent's new task and task definition, only as part of creating them.",
      }),
      // Access points carry ocf:environment from birth, which is what lets them be deleted.
      allow(['elasticfilesystem:CreateAccessPoint'], [fileSystem], {
        conditions: { StringEquals: { [`aws:RequestTag/${environmentTag}`]: r.routing.environment } },
      }),
      allow(['elasticfilesystem:TagResource'], [fileSystem, accessPoints], {
        conditions: { StringEquals: { 'elasticfilesystem:CreateAction': 'CreateAccessPoint' } },
        wildcard:
          'Access point ids exist only once created; tagging is allowed only while CreateAccessPoint makes one.',
      }),
      allow(['elasticfilesystem:DescribeAccessPoints'], [fileSystem]),
      allow(['elasticfilesystem:DeleteAccessPoint'], [accessPoints], {
        conditions: { StringEquals: { [`aws:ResourceTag/${environmentTag}`]: r.routing.environment } },
        wildcard:
          "Any agent's access point may go on retirement, but only those tagged with this fleet's environment.",
      }),
      // The agents' two roles, and only to ECS tasks.
      allow(['iam:PassRole'], [r.agents.taskRole.roleArn, r.agents.executionRole.roleArn], {
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    ];
  },

  // services/health: its watch table, fleet metrics (only in the fleet's namespace), and the
  // agents' tasks, which it describes by the ARNs AgentLaunching gave it.
  health: (scope, r) => {
    const stack = Stack.of(scope);
    const cluster = { ArnEquals: { 'ecs:cluster': r.agentCluster.clusterArn } };
    const agentTasks = stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${r.agentCluster.clusterName}/*`,
    });
    return [
      allow(
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:DescribeTable'],
        [r.tables.health.tableArn],
      ),
      allow(['cloudwatch:PutMetricData'], ['*'], {
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
        wildcard:
          "PutMetricData has no resource-level permissions; the condition pins it to the fleet's namespace.",
      }),
      allow(['ecs:DescribeTasks'], [agentTasks], {
        conditions: cluster,
        wildcard: "Health watches every agent's task, and only tasks of the agents' cluster.",
      }),
      allow(['ecs:DescribeClusters'], [r.agentCluster.clusterArn]), // readiness
    ];
  },

  // services/model-gateway (ADR 0017): its table (profiles and usage totals), the key that checks
  // agents' model keys (read only: credentials makes it), each agent secret's metadata (which
  // version is current; DescribeSecret never returns a value), the configured Bedrock models,
  // and its metrics. The only principal in the fleet that may invoke a model.
  'model-gateway': (scope, r) => {
    const modelKeyKey = modelKeyKeyArn(scope, r.routing.environment);
    return [
      allow(
        [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:BatchGetItem',
          'dynamodb:DescribeTable', // readiness
        ],
        [r.tables.modelGateway.tableArn],
      ),
      allow(['secretsmanager:GetSecretValue'], [modelKeyKey], {
        wildcard: 'Secrets Manager appends six random characters to the one secret named here.',
      }),
      { statement: keyUseThroughSecretsManager(r.key, ['kms:Decrypt'], [modelKeyKey]) },
      allow(['secretsmanager:DescribeSecret'], [agentSecretsArn(scope, r.routing.environment)], {
        wildcard:
          "The gateway checks which version of any agent's secret is current (metadata only, never a value); the pattern is the fleet's agent namespace.",
      }),
      allow(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'], [...r.modelArns]),
      allow(['cloudwatch:PutMetricData'], ['*'], {
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
        wildcard:
          "PutMetricData has no resource-level permissions; the condition pins it to the fleet's namespace.",
      }),
    ];
  },
};
