import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
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

    this.rules = routing.rules.map((spec) => {
      const { queue, deadLetterQueue } = queues[spec.service];
      return new events.Rule(this, `${spec.from}-to-${spec.service}`, {
        eventBus: this.bus,
        ruleName: spec.name,
        description: `${spec.eventTypes.length} event type(s) from ${spec.from} to the ${spec.service} queue`,
        eventPattern: toCdkPattern(spec.eventPattern),
        // SqsQueue grants EventBridge SendMessage on the queue (same account only) and the use
        // of the queue's key. Deliveries that still fail (a key or policy broken by hand) land
        // in the service's DLQ instead of being dropped after EventBridge's retries.
        targets: [new targets.SqsQueue(queue, { deadLetterQueue })],
      });
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

/** The routing's pattern in CDK's vocabulary; the routing test proves the rendering is identical. */
export function toCdkPattern(pattern: EventPattern): events.EventPattern {
  return {
    source: pattern.source.flatMap((entry) =>
      typeof entry === 'string' ? [entry] : events.Match.anythingButPrefix(entry['anything-but'].prefix),
    ),
    detailType: [...pattern['detail-type']],
  };
}
