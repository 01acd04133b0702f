import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

/**
 * The route health needs on the account's default bus: ECS task state changes of the agents'
 * cluster to a queue of its own (ADR 0011). Proposed for shared/routing (a rule on the default
 * bus beside the fleet bus's); tests make it with this until then. Returns the queue's URL, for
 * HEALTH_ECS_EVENTS_QUEUE_URL.
 */
export async function routeEcsTaskEvents(environment: string, cluster: string): Promise<string> {
  const sqs = new SQSClient({});
  const eventBridge = new EventBridgeClient({});
  try {
    const name = `ocf-${environment}-health-ecs-events`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await eventBridge.send(
      new PutRuleCommand({
        Name: name,
        EventPattern: JSON.stringify({
          source: ['aws.ecs'],
          'detail-type': ['ECS Task State Change'],
          detail: { clusterArn: [clusterArn(cluster)] },
        }),
      }),
    );
    await eventBridge.send(
      new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'health', Arn: Attributes?.QueueArn }] }),
    );
    if (QueueUrl === undefined) throw new Error(`queue ${name} has no URL`);
    return QueueUrl;
  } finally {
    sqs.destroy();
    eventBridge.destroy();
  }
}

/** What ECS puts on the default bus when a task changes state; moto does not, so tests do. */
export async function publishEcsTaskStateChange(
  cluster: string,
  taskArn: string,
  lastStatus: string,
  stoppedReason = 'Essential container in task exited',
): Promise<void> {
  const eventBridge = new EventBridgeClient({});
  try {
    const { FailedEntryCount } = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.ecs',
            DetailType: 'ECS Task State Change',
            Detail: JSON.stringify({
              clusterArn: clusterArn(cluster),
              taskArn,
              lastStatus,
              desiredStatus: lastStatus === 'RUNNING' ? 'RUNNING' : 'STOPPED',
              stoppedReason,
            }),
          },
        ],
      }),
    );
    if ((FailedEntryCount ?? 0) > 0) throw new Error('PutEvents refused the ECS event');
  } finally {
    eventBridge.destroy();
  }
}

function clusterArn(cluster: string): string {
  return `arn:aws:ecs:${process.env['AWS_REGION'] ?? 'us-east-1'}:123456789012:cluster/${cluster}`;
}
