import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { catalogue, eventTypes, FLEET_SOURCE_PREFIX } from '@ocf/events';
import {
  SERVICE_NAMES,
  type EventPattern,
  type FleetRouting,
  type QueueSpec,
  type ServiceName,
} from '@ocf/routing';
import { acknowledge } from '../nag.ts';

export interface ServiceQueues {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

export interface EventRoutingProps {
  readonly routing: FleetRouting;
  /** Encrypts the queues; EventBridge is allowed to use it for them (see below). */
  readonly key: kms.IKey;
}

/**
 * The bus, its archive, one queue (with its DLQ) per service and one rule per subscription,
 * all read from `fleetRouting()`: the same definition the local bootstrap applies to the
 * emulator, so nothing here is listed by hand.
 */
export class EventRouting extends Construct {
  readonly bus: events.EventBus;
  readonly queues: { readonly [S in ServiceName]: ServiceQueues };
  readonly rules: readonly events.Rule[];
  /**
   * What an outside system (an HR tool, an operator's CLI) needs to request hires and
   * retirements: PutEvents on the bus, only the public events the catalogue lets outside systems
   * produce, and never under a fleet source. Attach it to whichever role or user publishes.
   */
  readonly hirePublishers: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: EventRoutingProps) {
    super(scope, id);
    const { routing, key } = props;

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: routing.busName });
    // Every event, for replay after a consumer bug: the archive is the fleet's event history.
    this.bus.archive('Archive', {
      archiveName: routing.archive.name,
      description: `Every event on ${routing.busName}, for replay`,
      eventPattern: { account: [Stack.of(this).account] },
      retention: Duration.days(routing.archive.retentionDays),
    });

    const queues = Object.fromEntries(
      SERVICE_NAMES.map((service) => [service, this.serviceQueues(routing.queues[service], key)]),
    ) as { [S in ServiceName]: ServiceQueues };
    this.queues = queues;

    this.hirePublishers = this.hirePublisherPolicy(routing);

    this.rules = routing.rules.map((spec) => {
      const { queue, deadLetterQueue } = queues[spec.service];
      return new events.Rule(this, `${spec.from}-to-${spec.service}`, {
        eventBus: this.bus,
        ruleName: spec.name,
        description: `${spec.eventTypes.length} event type(s) from ${spec.from} to the ${spec.service} queue`,
        eventPattern: toCdkPattern(spec.eventPattern),
        // Deliveries that still fail (a key or policy broken by hand) land in the service's DLQ
        // instead of being dropped after EventBridge's retries.
        targets: [new FleetQueueTarget(queue, deadLetterQueue, key)],
      });
    });
  }

  private hirePublisherPolicy(routing: FleetRouting): iam.ManagedPolicy {
    const outsideTypes = eventTypes.filter((type) => catalogue[type].producedBy.includes('outside'));
    return new iam.ManagedPolicy(this, 'HirePublishers', {
      managedPolicyName: `${routing.prefix}-hire-publishers`,
      description: `Put ${outsideTypes.join(' / ')} on ${routing.busName}, under a source outside the fleet`,
      statements: [
        new iam.PolicyStatement({
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: {
            // EventBridge authorizes each entry of a PutEvents call with its own source and type.
            StringEquals: { 'events:detail-type': outsideTypes },
            StringNotLike: { 'events:source': `${FLEET_SOURCE_PREFIX}*` },
          },
        }),
      ],
    });
  }

  private serviceQueues(spec: QueueSpec, key: kms.IKey): ServiceQueues {
    const encryption = { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true };
    const deadLetterQueue = new sqs.Queue(this, `${spec.service}-dlq`, {
      queueName: spec.deadLetterQueueName,
      retentionPeriod: Duration.seconds(spec.deadLetterRetentionSeconds),
      ...encryption,
    });
    acknowledge(
      deadLetterQueue,
      'AwsSolutions-SQS3',
      `${spec.deadLetterQueueName} is itself the dead-letter queue of ${spec.name}; an alarm fires when it is not empty.`,
    );
    const queue = new sqs.Queue(this, spec.service, {
      queueName: spec.name,
      visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(spec.retentionSeconds),
      receiveMessageWaitTime: Duration.seconds(20),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: spec.maxReceiveCount },
      ...encryption,
    });
    return { queue, deadLetterQueue };
  }
}

/**
 * An SQS target that only this rule may write to. CDK's own `SqsQueue` target, for a queue with
 * a customer-managed key, allows EventBridge with only `aws:SourceAccount` — any rule of any bus
 * in the account could then feed a service's queue. Here each rule's ARN is named in the queue
 * policy, as CDK already does for the DLQ. The key is granted to EventBridge for this account's
 * deliveries (KMS sees SQS, not the rule, as the caller: the queue policy is the gate).
 */
class FleetQueueTarget implements events.IRuleTarget {
  private readonly queue: sqs.IQueue;
  private readonly deadLetterQueue: sqs.IQueue;
  private readonly key: kms.IKey;

  constructor(queue: sqs.IQueue, deadLetterQueue: sqs.IQueue, key: kms.IKey) {
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    this.key = key;
  }

  bind(rule: events.IRule): events.RuleTargetConfig {
    const account = Stack.of(rule).account;
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `Rule${rule.node.id.replace(/[^A-Za-z0-9]/g, '')}`,
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    this.key.grantEncryptDecrypt(
      new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    targets.addToDeadLetterQueueResourcePolicy(rule, this.deadLetterQueue);
    return {
      ...targets.bindBaseTargetConfig({ deadLetterQueue: this.deadLetterQueue }),
      arn: this.queue.queueArn,
      targetResource: this.queue,
    };
  }
}

/** The routing's pattern in CDK's vocabulary; the routing test proves the rendering is identical. */
export function toCdkPattern(pattern: EventPattern): events.EventPattern {
  return {
    source: pattern.source.flatMap((entry) =>
      typeof entry === 'string' ? [entry] : events.Match.anythingButPrefix(entry['anything-but'].prefix),
    ),
    detailType: [...pattern['detail-type']],
  };
}
