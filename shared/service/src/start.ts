import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { commonSettings, loadConfig, type CommonConfig } from '@ocf/config';
import { createLogger, type Logger } from '@ocf/logging';
import { fleetRouting, subscribedEventTypes, type FleetRouting, type ServiceName } from '@ocf/routing';
import {
  createDynamoDedupeStore,
  createEventBridgePublisher,
  createQueueConsumer,
  type EventPublisher,
  type HandlerMap,
  type QueueConsumer,
} from '@ocf/runtime';
import type { ReadinessCheck } from '@ocf/http';

/** What a service's composition root gets to build its app and handlers from. */
export interface ServiceContext<TConfig> {
  readonly config: TConfig;
  readonly logger: Logger;
  readonly routing: FleetRouting;
  readonly publisher: EventPublisher;
  readonly aws: {
    readonly sqs: SQSClient;
    readonly eventBridge: EventBridgeClient;
    readonly dynamodb: DynamoDBClient;
  };
}

export interface ServiceDefinition<TShape extends z.ZodRawShape> {
  readonly name: ServiceName;
  /** The service's own settings on top of commonSettings. */
  readonly settings: TShape;
  readonly buildApp: (
    context: ServiceContext<Config<TShape>>,
    readiness: Record<string, ReadinessCheck>,
  ) => FastifyInstance | Promise<FastifyInstance>;
  readonly createHandlers: (context: ServiceContext<Config<TShape>>) => HandlerMap | Promise<HandlerMap>;
}

export type Config<TShape extends z.ZodRawShape> = CommonConfig & z.output<z.ZodObject<TShape>>;

export interface RunningService {
  readonly app: FastifyInstance;
  readonly consumer: QueueConsumer | undefined;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The one boot sequence of every service: config (fail fast) -> logger -> AWS clients ->
 * its queue -> consumer + HTTP -> SIGTERM handling. Services only bring their routes and handlers.
 */
export async function startService<TShape extends z.ZodRawShape>(
  definition: ServiceDefinition<TShape>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService> {
  const config = loadConfig({ ...commonSettings, ...definition.settings }, env) as Config<TShape>;
  const logger = createLogger({
    service: definition.name,
    level: config.LOG_LEVEL,
    persistentKeys: { environment: config.OCF_ENV },
  });
  const routing = fleetRouting(config.OCF_ENV);
  // The SDK reads AWS_ENDPOINT_URL and credentials from the environment by itself.
  const aws = {
    sqs: new SQSClient({}),
    eventBridge: new EventBridgeClient({}),
    dynamodb: new DynamoDBClient({}),
  };
  const publisher = createEventBridgePublisher({
    client: aws.eventBridge,
    busName: routing.busName,
    source: `ocf.${definition.name}`,
  });
  const context: ServiceContext<Config<TShape>> = { config, logger, routing, publisher, aws };

  const queue = routing.queues[definition.name];
  const handlers = await definition.createHandlers(context);
  assertHandlersMatchSubscriptions(definition.name, handlers);

  let consumer: QueueConsumer | undefined;
  const readiness: Record<string, ReadinessCheck> = {
    processedEventsTable: async () => {
      await aws.dynamodb.send(new DescribeTableCommand({ TableName: routing.tables.processedEvents.name }));
    },
  };
  if (Object.keys(handlers).length > 0) {
    const [queueUrl, deadLetterQueueUrl] = await Promise.all([
      queueUrlOf(aws.sqs, queue.name),
      queueUrlOf(aws.sqs, queue.deadLetterQueueName),
    ]);
    consumer = createQueueConsumer({
      name: definition.name,
      sqs: aws.sqs,
      queueUrl,
      deadLetterQueueUrl,
      handlers,
      publisher,
      dedupe: createDynamoDedupeStore({
        client: aws.dynamodb,
        tableName: routing.tables.processedEvents.name,
      }),
      logger,
      visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
      drainTimeoutMs: Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 5_000),
    });
    readiness['queue'] = async () => {
      await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    };
  } else {
    logger.info('no event handlers yet; not consuming', { queue: queue.name });
  }

  const app = await definition.buildApp(context, readiness);
  const url = await app.listen({ host: config.HOST, port: config.PORT });
  consumer?.start();
  logger.info('service started', { url, queue: queue.name });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      logger.info('stopping');
      // Stop taking work first, then finish (or hand back) what is in flight, then close HTTP.
      await consumer?.stop();
      await app.close();
      logger.info('stopped');
    })());

  return { app, consumer, url, stop };
}

/** Runs a service as the process's main thing: exits cleanly on SIGTERM/SIGINT, within the timeout. */
export async function runService<TShape extends z.ZodRawShape>(
  definition: ServiceDefinition<TShape>,
): Promise<void> {
  let service: RunningService;
  try {
    service = await startService(definition);
  } catch (error) {
    // Config errors and unreachable dependencies: say so on stderr and exit non-zero.
    process.stderr.write(
      `${definition.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
  const timeoutMs = Number(process.env['SHUTDOWN_TIMEOUT_MS'] ?? 25_000);
  const onSignal = (signal: NodeJS.Signals): void => {
    const forceExit = setTimeout(() => {
      process.stderr.write(
        `${definition.name}: shutdown took longer than ${timeoutMs} ms after ${signal}; exiting\n`,
      );
      process.exit(1);
    }, timeoutMs);
    forceExit.unref();
    service.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/** Routing sends a service exactly its subscriptions; a handler map that differs is a bug found at boot. */
export function assertHandlersMatchSubscriptions(service: ServiceName, handlers: HandlerMap): void {
  const handled = Object.keys(handlers);
  if (handled.length === 0) return; // a service not consuming yet
  const subscribed = subscribedEventTypes(service);
  const missing = subscribed.filter((type) => !handled.includes(type));
  const extra = handled.filter((type) => !(subscribed as string[]).includes(type));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `${service}: handlers do not match its subscriptions in shared/routing` +
        (missing.length > 0 ? `; missing: ${missing.join(', ')}` : '') +
        (extra.length > 0 ? `; not routed here: ${extra.join(', ')}` : ''),
    );
  }
}

async function queueUrlOf(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (QueueUrl === undefined)
    throw new Error(`queue ${name} not found: has the routing been applied (pnpm fleet bootstrap)?`);
  return QueueUrl;
}
