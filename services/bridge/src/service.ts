import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LogService } from 'matrix-bot-sdk';
import { errorMessage } from '@ocf/errors';
import { useFleetLoggerForMatrix } from '@ocf/matrix';
import { createDynamoDedupeStore, createTriggerLoop, sleep } from '@ocf/runtime';
import type { Config, ServiceContext, ServiceDefinition } from '@ocf/service';
import { createDynamoBridgeStore } from './adapters/dynamo-bridge-store.ts';
import { createSecretsManagerAgentSecrets } from './adapters/secrets-manager-agent-secrets.ts';
import { createSynapseHomeserver } from './adapters/synapse-homeserver.ts';
import { buildApp } from './app.ts';
import { buildAppserviceApp } from './appservice/app.ts';
import { resumeHomeserverPushes } from './appservice/resume-pushes.ts';
import { settings } from './config.ts';
import { createNaming } from '@ocf/naming';
import { createDirectChats } from './direct-chats.ts';
import { createHandlers } from './handlers/index.ts';
import type { BridgeDeps } from './reconcile/deps.ts';
import { sweepParkedAgents } from './reconcile/sweeper.ts';
import { withSleepScheduler } from './sleep/handlers.ts';
import { createSleepScheduler } from './sleep/scheduler.ts';
import { createDynamoActivityStore } from './sleep/store.ts';
import { createTypingSignal } from './sleep/typing-signal.ts';

type Context = ServiceContext<Config<typeof settings>>;

/** A crashed worker holds an agent's lock this long at most; the lock is renewed while it works. */
const LOCK_LEASE_MS = 30_000;

/**
 * The bridge as startService runs it: Synapse (as the fleet's application service), the bridge's
 * table and Secrets Manager behind their ports; the handlers; the health endpoints; and two things
 * of its own in the background — the application-service endpoint on its own port, and the
 * sweeper that finishes the work of agents parked by an outage.
 */
export function bridgeService(
  secretsManager = new SecretsManagerClient({}),
): ServiceDefinition<typeof settings> {
  return {
    name: 'bridge',
    settings,
    compose: (context) => {
      const { config, logger, aws, routing, publisher } = context;
      const deps = bridgeDeps(context, secretsManager);
      // Sleep and wake decisions (ADR 0018): activity stays here, decisions go on the bus.
      const scheduler = createSleepScheduler({
        store: createDynamoActivityStore(aws.dynamodb, routing.tables.bridge.name),
        publisher,
        naming: deps.naming,
        settings: {
          idleTimeoutSeconds: config.BRIDGE_IDLE_TIMEOUT_SECONDS,
          onDemandLevels: new Set(config.BRIDGE_ON_DEMAND_LEVELS),
          awakeCap: config.BRIDGE_AWAKE_CAP,
        },
        signal: createTypingSignal({
          homeserverUrl: config.MATRIX_HOMESERVER_URL,
          asToken: config.BRIDGE_AS_TOKEN,
          timeoutMs: 60_000,
        }),
        logger: logger.with({ component: 'sleep' }),
        flushIntervalMs: config.BRIDGE_ACTIVITY_FLUSH_MS,
        checkIntervalMs: config.BRIDGE_SLEEP_CHECK_MS,
        resyncIntervalMs: config.BRIDGE_SLEEP_RESYNC_MS,
      });
      // A person's direct-chat invitation to an agent, accepted for it (only people of this homeserver).
      const directChats = createDirectChats({
        homeserver: deps.homeserver,
        store: deps.store,
        naming: deps.naming,
        logger: logger.with({ component: 'direct-chats' }),
      });
      const appservice = buildAppserviceApp({
        hsToken: config.BRIDGE_HS_TOKEN,
        naming: deps.naming,
        transactions: createDynamoDedupeStore({
          client: aws.dynamodb,
          tableName: routing.tables.processedEvents.name,
        }),
        logger: logger.with({ component: 'appservice' }),
        onMention: (mention) => {
          logger.info('agent mentioned', { ...mention });
          return Promise.resolve();
        },
        onEvent: async (event) => {
          await directChats.onRoomEvent(event);
          await scheduler.onRoomEvent(event);
        },
      });
      const stopping = new AbortController();
      // Finishes the work of agents parked by an outage; one sweep at a time, so a slow one (the
      // homeserver still down) gets no second on top.
      const sweeper = createTriggerLoop({
        pass: async (signal) => {
          await sweepParkedAgents(
            { ...deps, publisher, logger, maxParkedMs: config.BRIDGE_MAX_PARKED_MS },
            signal,
          );
        },
        idleMs: () => config.BRIDGE_SWEEP_INTERVAL_MS,
        passAtStart: false,
        onError: (error) => {
          logger.warn('sweep of parked agents failed', { error: errorMessage(error) });
          return undefined;
        },
      });
      return {
        handlers: withSleepScheduler(createHandlers(deps), scheduler),
        app: (readiness) =>
          buildApp({
            logger,
            readiness: {
              ...readiness,
              homeserver: () => deps.homeserver.ping(),
              bridgeTable: async () => {
                await aws.dynamodb.send(new DescribeTableCommand({ TableName: routing.tables.bridge.name }));
              },
            },
          }),
        background: {
          appservice: {
            start: async () => {
              const url = await appservice.listen({ host: config.HOST, port: config.BRIDGE_AS_PORT });
              logger.info('application-service endpoint listening', { url });
              void resumeHomeserverPushes(deps.homeserver, logger, stopping.signal);
            },
            stop: () => {
              stopping.abort();
              return appservice.close();
            },
          },
          sweeper,
          sleep: scheduler.loop,
        },
      };
    },
  };
}

function bridgeDeps(
  { config, logger, aws, routing }: Context,
  secretsManager: SecretsManagerClient,
): BridgeDeps {
  // matrix-bot-sdk logs through the fleet's redacting logger. Its HTTP module reports every
  // non-2xx answer as an error, expected ones too (an alias not taken yet): the adapter's own
  // errors say what failed, with the operation, so those lines are left out.
  useFleetLoggerForMatrix(logger, 'WARN');
  LogService.muteModule('MatrixHttpClient');

  const naming = createNaming({ serverName: config.MATRIX_SERVER_NAME, namespace: config.BRIDGE_NAMESPACE });
  const homeserver = createSynapseHomeserver({
    homeserverUrl: config.MATRIX_HOMESERVER_URL,
    serverName: config.MATRIX_SERVER_NAME,
    registration: {
      id: config.BRIDGE_AS_ID,
      asToken: config.BRIDGE_AS_TOKEN,
      hsToken: config.BRIDGE_HS_TOKEN,
      senderLocalpart: config.BRIDGE_SENDER_LOCALPART,
    },
    logger,
  });
  return {
    homeserver,
    store: createDynamoBridgeStore(aws.dynamodb, routing.tables.bridge.name),
    secrets: createSecretsManagerAgentSecrets(secretsManager, config.OCF_ENV, randomUUID),
    naming,
    ceoUserId: config.BRIDGE_CEO_USER_ID,
    newId: randomUUID,
    now: () => new Date(),
    lockLeaseMs: LOCK_LEASE_MS,
    roomsWithBot: new Set(),
    sleep,
  };
}
