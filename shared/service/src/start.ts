import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { commonSettings, loadConfig, type CommonConfig, type SettingsCheck } from '@ocf/config';
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
import { startParts, type BackgroundWork } from './lifecycle.ts';
import { httpsListener, selfSignedIdentity } from './tls.ts';

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

/** What a service is made of, built once from its context. */
export interface ServiceComposition {
  /** Its event handlers: exactly its subscriptions in shared/routing (or none, not consuming yet). */
  readonly handlers: HandlerMap;
  /**
   * Its HTTP side, given the runner's readiness checks (its queue, the dedupe table) to merge
   * with its own. Never listens by itself: the runner does.
   */
  readonly app: (readiness: Record<string, ReadinessCheck>) => FastifyInstance | Promise<FastifyInstance>;
  /**
   * Loops and extra listeners, by name. The runner starts them in this order before the HTTP
   * side listens, and stops them in reverse after the consumer drained and before HTTP closes.
   */
  readonly background?: Readonly<Record<string, BackgroundWork>>;
}

export interface ServiceDefinition<TShape extends z.ZodRawShape> {
  readonly name: ServiceName;
  /** The service's own settings on top of commonSettings. */
  readonly settings: TShape;
  /** Checks between settings (e.g. what the ECS runner requires), run when the config is parsed. */
  readonly checkSettings?: SettingsCheck<Config<TShape>>;
  /** Builds the service's parts, once; the runner starts and stops them. */
  readonly compose: (
    context: ServiceContext<Config<TShape>>,
  ) => ServiceComposition | Promise<ServiceComposition>;
}

export type Config<TShape extends z.ZodRawShape> = CommonConfig & z.output<z.ZodObject<TShape>>;

export interface RunningService<TConfig extends CommonConfig = CommonConfig> {
  readonly config: TConfig;
  readonly app: FastifyInstance;
  readonly consumer: QueueConsumer | undefined;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The one boot sequence of every service: config (fail fast) -> logger -> AWS clients ->
 * the service's composition (built once) -> its queue -> background work, HTTP and consumer started
 * and stopped in one order (see startParts) -> SIGTERM handling. Services only bring their parts.
 */
export async function startService<TShape extends z.ZodRawShape>(
  definition: ServiceDefinition<TShape>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService<Config<TShape>>> {
  const config = loadConfig(
    { ...commonSettings, ...definition.settings },
    env,
    definition.checkSettings as SettingsCheck<unknown> | undefined,
  ) as Config<TShape>;
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
  const { handlers, app: buildApp, background = {} } = await definition.compose(context);
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
      concurrency: config.QUEUE_CONCURRENCY,
      drainTimeoutMs: Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 5_000),
    });
    readiness['queue'] = async () => {
      await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    };
  } else {
    logger.info('no event handlers yet; not consuming', { queue: queue.name });
  }

  const app = await buildApp(readiness);
  const https =
    config.HTTP_TLS === 'self-signed'
      ? httpsListener(app, await selfSignedIdentity(`${routing.prefix}-${definition.name}`))
      : undefined;
  const started = await startParts({
    consumer,
    http:
      https === undefined
        ? { listen: () => app.listen({ host: config.HOST, port: config.PORT }), close: () => app.close() }
        : { listen: () => https.listen(config.HOST, config.PORT), close: () => https.close() },
    background,
    logger,
  });
  const { url } = started;
  logger.info('service started', { url, queue: queue.name, background: Object.keys(background) });

  let stopping: Promise<void> | undefined;
  return {
    config,
    app,
    consumer,
    url,
    stop: () =>
      (stopping ??= (async () => {
        logger.info('stopping');
        await started.stop();
        logger.info('stopped');
      })()),
  };
}

/** Runs a service as the process's main thing: exits cleanly on SIGTERM/SIGINT, within the timeout. */
export async function runService<TShape extends z.ZodRawShape>(
  definition: ServiceDefinition<TShape>,
): Promise<void> {
  let service: RunningService<Config<TShape>>;
  try {
    service = await startService(definition);
  } catch (error) {
    // Config errors and unreachable dependencies: say so on stderr and exit non-zero.
    process.stderr.write(
      `${definition.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
  const timeoutMs = service.config.SHUTDOWN_TIMEOUT_MS;
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
