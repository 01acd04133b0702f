import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { catalogue } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import {
  applyRouting,
  DIRECTORY_SOURCE,
  fleetRouting,
  SERVICE_NAMES,
  type AppliedRouting,
  type ServiceName,
} from '@ocf/routing';
import {
  createDynamoDedupeStore,
  createEventBridgePublisher,
  createQueueConsumer,
  type Outcome,
} from '@ocf/runtime';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { homeserverUnderTest } from '../support/homeserver.ts';

const root = resolve(import.meta.dirname, '../..');
const clients = awsClients();
// The service processes below long-poll their queues; a poll still open on the emulator when a
// process exits can swallow a later message for a visibility timeout. So the consumer tests get
// queues of their own.
const routing = fleetRouting(uniqueEnvironment('lifecycle'));
const consumerRouting = fleetRouting(uniqueEnvironment('consumer'));
let applied: AppliedRouting;

before(async () => {
  await applyRouting(routing, clients);
  applied = await applyRouting(consumerRouting, clients);
});

/** What each service needs besides the common settings, from the test run's backends. */
async function ownSettings(service: ServiceName): Promise<Record<string, string>> {
  if (service !== 'bridge') return {};
  const hs = await homeserverUnderTest();
  return {
    MATRIX_HOMESERVER_URL: hs.url,
    MATRIX_SERVER_NAME: hs.serverName,
    BRIDGE_AS_ID: hs.appservice.id,
    BRIDGE_AS_TOKEN: hs.appservice.asToken,
    BRIDGE_HS_TOKEN: hs.appservice.hsToken,
    BRIDGE_SENDER_LOCALPART: hs.appservice.senderLocalpart,
    BRIDGE_AS_PORT: '0',
    BRIDGE_NAMESPACE: routing.environment.slice(0, 24),
    BRIDGE_CEO_USER_ID: `@ceo:${hs.serverName}`,
  };
}

describe('a service process', () => {
  for (const service of SERVICE_NAMES) {
    it(`${service}: starts against the emulator, reports ready, and exits 0 on SIGTERM`, async () => {
      const child = spawn(process.execPath, [resolve(root, `services/${service}/src/main.ts`)], {
        env: {
          ...process.env,
          OCF_ENV: routing.environment,
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'INFO',
          ...(await ownSettings(service)),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const lines = createInterface({ input: child.stdout });
      let url: string | undefined;
      for await (const line of lines) {
        const entry = JSON.parse(line) as { message: string; url?: string; service?: string };
        assert.equal(entry.service, service);
        if (entry.message === 'service started') {
          url = entry.url;
          break;
        }
      }
      assert.ok(url, `no "service started" line; stderr: ${stderr}`);
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 200, await ready.text());

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, stderr);
    });
  }

  it('refuses to start with a clear message when a setting is missing', async () => {
    const { AWS_REGION: _region, ...env } = process.env;
    const child = spawn(process.execPath, [resolve(root, 'services/credentials/src/main.ts')], {
      env: { ...env, PORT: 'not-a-port' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.match(stderr, /AWS_REGION: required but not set/);
    assert.match(stderr, /PORT: /);
  });
});

describe('consumer shutdown', () => {
  it('finishes an in-flight handler before stop() resolves', async () => {
    const outcomes: Outcome[] = [];
    let started = false;
    let finished = false;
    const consumer = createQueueConsumer({
      name: 'health',
      sqs: clients.sqs,
      queueUrl: applied.queues.health.url,
      deadLetterQueueUrl: applied.queues.health.deadLetterQueueUrl,
      dedupe: createDynamoDedupeStore({
        client: clients.dynamodb,
        tableName: consumerRouting.tables.processedEvents.name,
      }),
      logger: createMemoryLogger(),
      waitTimeSeconds: 1,
      onOutcome: (o) => outcomes.push(o),
      handlers: {
        AgentRetired: async () => {
          started = true;
          await new Promise((r) => setTimeout(r, 1500));
          finished = true;
        },
      },
    });
    consumer.start();
    try {
      // As the directory: only its AgentRetired reaches the health queue.
      const publisher = createEventBridgePublisher({
        client: clients.eventBridge,
        busName: consumerRouting.busName,
        source: DIRECTORY_SOURCE,
      });
      await publisher.emit('AgentRetired', catalogue.AgentRetired.example);
      await waitFor('the handler to start', () => (started ? true : undefined));
    } finally {
      await consumer.stop();
    }
    assert.equal(finished, true, 'stop() returned before the in-flight handler finished');
    assert.equal(outcomes.filter((o) => o.kind === 'handled').length, 1);
    assert.equal(consumer.inFlight, 0);
  });
});

after(() => {
  clients.sqs.destroy();
  clients.eventBridge.destroy();
  clients.dynamodb.destroy();
});

describe('visibility extension', () => {
  it("keeps a long handler's message hidden from a second replica until it is done", async () => {
    const outcomes: Outcome[] = [];
    let runs = 0;
    let slowEventId: string | undefined;
    const replica = () =>
      createQueueConsumer({
        name: 'provisioning',
        sqs: clients.sqs,
        queueUrl: applied.queues.provisioning.url,
        deadLetterQueueUrl: applied.queues.provisioning.deadLetterQueueUrl,
        dedupe: createDynamoDedupeStore({
          client: clients.dynamodb,
          tableName: consumerRouting.tables.processedEvents.name,
        }),
        logger: createMemoryLogger(),
        waitTimeSeconds: 1,
        // Far shorter than the handler: only the heartbeat keeps the message hidden.
        visibilityTimeoutSeconds: 2,
        onOutcome: (o) => outcomes.push(o),
        handlers: {
          AgentRetired: async (event) => {
            // Earlier tests left other retirements on this queue; count only ours.
            if (event.data.agentId !== 'slow-retiree') return;
            runs++;
            await new Promise((r) => setTimeout(r, 5000));
          },
        },
      });
    const replicas = [replica(), replica()];
    for (const r of replicas) r.start();
    try {
      const publisher = createEventBridgePublisher({
        client: clients.eventBridge,
        busName: consumerRouting.busName,
        source: DIRECTORY_SOURCE,
      });
      const event = await publisher.emit('AgentRetired', { agentId: 'slow-retiree' });
      slowEventId = event.metadata.eventId;
      await waitFor(
        'the handler to finish',
        () => outcomes.find((o) => o.kind === 'handled' && o.eventId === event.metadata.eventId),
        {
          timeoutMs: 20_000,
        },
      );
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
    assert.equal(runs, 1);
    assert.deepEqual(
      outcomes.filter((o) => o.kind !== 'handled' || o.eventId === slowEventId).map((o) => o.kind),
      ['handled'],
      'no redelivery reached the other replica while the handler ran',
    );
  });
});
