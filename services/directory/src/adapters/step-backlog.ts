import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FleetRouting, ServiceName } from '@ocf/routing';
import type { AgentStatus } from '../domain/agent.ts';
import type { StepBacklog } from '../ports.ts';

/**
 * Whose queues hold what moves an agent on from each status a cascade passes through (ADR 0024):
 * the step that acts next, and the directory's own queue, where that step's report waits to be
 * recorded.
 */
export const NEXT_STEP_QUEUES: Readonly<Partial<Record<AgentStatus, readonly ServiceName[]>>> = {
  hired: ['credentials', 'directory'],
  'credentials-issued': ['bridge', 'directory'],
  'chat-account-ready': ['provisioning', 'directory'],
  launching: ['health', 'directory'],
  retiring: ['credentials', 'bridge', 'provisioning', 'directory'],
};

/** The step backlog read from SQS: messages visible on those queues (in flight ones are not counted). */
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
      (NEXT_STEP_QUEUES[status] ?? []).map(async (service) => {
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
