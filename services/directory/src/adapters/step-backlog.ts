import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CASCADE_NEXT_STEP_QUEUES, type FleetRouting, type ServiceName } from '@ocf/routing';
import type { StepBacklog } from '../ports.ts';

/**
 * The step backlog read from SQS: messages visible on the queues of a status's next step
 * (CASCADE_NEXT_STEP_QUEUES); messages in flight are not counted.
 */
export function createSqsStepBacklog(sqs: SQSClient, routing: FleetRouting): StepBacklog {
  const urls = new Map<ServiceName, Promise<string>>();
  const urlOf = (service: ServiceName): Promise<string> => {
    let url = urls.get(service);
    if (url === undefined) {
      url = sqs
        .send(new GetQueueUrlCommand({ QueueName: routing.queues[service].name }))
        .then(({ QueueUrl }) => {
          if (QueueUrl === undefined) throw new Error(`no URL for queue ${routing.queues[service].name}`);
          return QueueUrl;
        });
      // A failed look-up is tried again next time, not remembered.
      url.catch(() => urls.delete(service));
      urls.set(service, url);
    }
    return url;
  };
  return async (status) => {
    const counts = await Promise.all(
      (CASCADE_NEXT_STEP_QUEUES[status] ?? []).map(async (service) => {
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: await urlOf(service),
            AttributeNames: ['ApproximateNumberOfMessages'],
          }),
        );
        return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
      }),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  };
}
