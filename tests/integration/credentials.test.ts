import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import {
  createEvent,
  parseEventMessage,
  type AnyFleetEvent,
  type EventType,
  type FleetEvent,
} from '@ocf/events';
import { applyRouting, fleetRouting, type AppliedRouting } from '@ocf/routing';
import { createEventBridgePublisher } from '@ocf/runtime';
import { agentSecretName, parseAgentSecretValue } from '@ocf/secrets';
import { createSecretsManagerStore } from '../../services/credentials/src/adapters/secrets-manager.ts';
import { SecretStoreError } from '../../services/credentials/src/ports.ts';
import { secretStoreContract } from '../../services/credentials/test/support/secret-store-contract.ts';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';

const root = resolve(import.meta.dirname, '../..');
const clients = awsClients();
const secretsManager = new SecretsManagerClient({});
const DAY_MS = 24 * 3600 * 1000;

/**
 * Where the cascade's AgentHired, AgentRetired and CredentialsRotationRequested come from: the
 * directory validates requests from outside and republishes them under its own source, the only
 * one the routing lets through to the credentials queue. These tests stand in for it.
 */
const DIRECTORY_SOURCE = 'ocf.directory';

describe('Secrets Manager adapter on moto', () => {
  const environment = uniqueEnvironment('secrets');
  let n = 0;
  secretStoreContract(
    () => createSecretsManagerStore(secretsManager),
    () => agentSecretName(environment, `contract-${++n}`),
  );

  it('reports an unreachable endpoint as a failure worth retrying', async () => {
    const nowhere = new SecretsManagerClient({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    try {
      await assert.rejects(
        createSecretsManagerStore(nowhere).describe({ name: agentSecretName(environment, 'ada') }),
        (error: unknown) => error instanceof SecretStoreError && error.retryable,
      );
    } finally {
      nowhere.destroy();
    }
  });
});

// The credentials service as a real process (src/main.ts), driven through the bus and observed
// the way the rest of the fleet sees it: Secrets Manager, and the events on the directory's queue
// (the directory hears every cascade event, so what reaches it was published on the bus).
describe('credentials service on moto', () => {
  const routing = fleetRouting(uniqueEnvironment('credentials'));
  const publisher = createEventBridgePublisher({
    client: clients.eventBridge,
    busName: routing.busName,
    source: DIRECTORY_SOURCE,
  });
  let applied: AppliedRouting;
  let service: ReturnType<typeof spawn>;
  let serviceUrl: string | undefined;
  const serviceLog: string[] = [];
  const heard: AnyFleetEvent[] = [];

  before(async () => {
    applied = await applyRouting(routing, clients);
    service = spawn(process.execPath, [resolve(root, 'services/credentials/src/main.ts')], {
      env: { ...process.env, OCF_ENV: routing.environment, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'DEBUG' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stderr?.on('data', (chunk: Buffer) => serviceLog.push(chunk.toString()));
    const lines = createInterface({ input: service.stdout! });
    lines.on('line', (line) => {
      serviceLog.push(line);
      const entry = JSON.parse(line) as { message?: string; url?: string };
      if (entry.message === 'service started') serviceUrl = entry.url;
    });
    await waitFor('the credentials service to start', () => serviceUrl, { timeoutMs: 15_000 });
  });

  after(async () => {
    const exited = once(service, 'exit');
    service.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, serviceLog.join('\n'));
  });

  /** Reads the directory's queue into `heard`, until `count` events of `type` about `agentId` are there. */
  async function heardOf<T extends EventType>(type: T, agentId: string, count = 1): Promise<FleetEvent<T>[]> {
    const matching = () =>
      heard.filter(
        (event) => event.type === type && 'agentId' in event.data && event.data.agentId === agentId,
      ) as FleetEvent<T>[];
    return waitFor(`${count} ${type} for ${agentId} on the bus`, async () => {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: applied.queues.directory.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      for (const message of Messages) {
        const parsed = parseEventMessage(message.Body ?? '');
        if (parsed.ok) heard.push(parsed.event);
        await clients.sqs.send(
          new DeleteMessageCommand({
            QueueUrl: applied.queues.directory.url,
            ReceiptHandle: message.ReceiptHandle,
          }),
        );
      }
      const found = matching();
      return found.length >= count ? found : undefined;
    });
  }

  /** Secrets with exactly this agent's name. ListSecrets filters names by prefix: `ada` would match `ada-2`. */
  async function secretsOf(agentId: string) {
    const name = agentSecretName(routing.environment, agentId);
    const { SecretList = [] } = await secretsManager.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }], IncludePlannedDeletion: true }),
    );
    return SecretList.filter((secret) => secret.Name === name);
  }

  const hire = (agentId: string) =>
    ({
      agentId,
      name: 'Ada Lovelace',
      title: 'Staff Engineer',
      level: 'ic',
      department: 'Engineering',
      managerId: 'ceo',
    }) as const;

  it('reports ready, Secrets Manager included', async () => {
    const ready = await fetch(`${serviceUrl}/readyz`);
    const body = (await ready.json()) as { checks: Record<string, string> };
    assert.equal(ready.status, 200);
    assert.equal(body.checks['secretsManager'], 'ok');
  });

  it('issues one tagged secret for a hire and publishes its ARN, never its value', async () => {
    const hired = await publisher.emit('AgentHired', hire('ada'));
    const [issued] = await heardOf('CredentialsIssued', 'ada');

    const [secret, ...others] = await secretsOf('ada');
    assert.ok(secret);
    assert.equal(others.length, 0);
    assert.deepEqual(issued?.data, { agentId: 'ada', secretArn: secret.ARN, restored: false });
    assert.equal(issued.metadata.causationId, hired.metadata.eventId);
    assert.deepEqual(Object.fromEntries((secret.Tags ?? []).map((tag) => [tag.Key, tag.Value])), {
      'ocf:agent-id': 'ada',
      'ocf:environment': routing.environment,
      'ocf:managed-by': 'ocf-credentials',
    });
    const value = await secretsManager.send(new GetSecretValueCommand({ SecretId: secret.ARN }));
    const parsed = parseAgentSecretValue(value.SecretString ?? '');
    assert.match(parsed.directory?.token.reveal() ?? '', /^ocfa_ada\./);
    assert.equal(parsed.matrix, undefined, "the Matrix token is the bridge's to add (ADR 0020)");
  });

  it('takes a raw PutEvents from any client, with no metadata', async () => {
    const result = await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: routing.busName,
            Source: DIRECTORY_SOURCE,
            DetailType: 'AgentHired',
            Detail: JSON.stringify({ data: hire('grace') }),
          },
        ],
      }),
    );
    const [issued] = await heardOf('CredentialsIssued', 'grace');
    assert.equal(issued?.metadata.causationId, result.Entries?.[0]?.EventId);
    assert.equal((await secretsOf('grace')).length, 1);
  });

  it('makes one secret of a hire that arrives three times', async () => {
    // A publisher retry (the same event twice) and another system sending the same hire again.
    const draft = createEvent('AgentHired', hire('alan'));
    await publisher.publish(draft);
    await publisher.publish(draft);
    await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: routing.busName,
            Source: DIRECTORY_SOURCE,
            DetailType: 'AgentHired',
            Detail: JSON.stringify({ data: hire('alan') }),
          },
        ],
      }),
    );
    // The repeated event is deduped; the second event is handled, and finds the secret there.
    const issued = await heardOf('CredentialsIssued', 'alan', 2);
    const secrets = await secretsOf('alan');
    assert.equal(secrets.length, 1);
    assert.deepEqual(new Set(issued.map((event) => event.data.secretArn)), new Set([secrets[0]?.ARN]));
    const versions = await secretsManager.send(
      new ListSecretVersionIdsCommand({ SecretId: secrets[0]?.ARN }),
    );
    assert.equal(versions.Versions?.length, 1, 'one value written');
  });

  it('schedules the secret of a retired agent for deletion', async () => {
    const before = Date.now();
    await publisher.emit('AgentRetired', { agentId: 'ada', reason: 'Team reorganised' });
    const [revoked] = await heardOf('CredentialsRevoked', 'ada');

    const described = await secretsManager.send(
      new DescribeSecretCommand({ SecretId: revoked?.data.secretArn }),
    );
    assert.ok(described.DeletedDate, 'scheduled for deletion');
    assert.equal(described.DeletedDate.toISOString(), revoked?.data.deletionDate);
    assert.ok(
      Math.abs(described.DeletedDate.getTime() - (before + 7 * DAY_MS)) < 60_000,
      'after the 7-day window',
    );
  });

  it('restores the secret when the agent is hired again', async () => {
    const [{ data: first }] = (await heardOf('CredentialsIssued', 'ada')) as [
      FleetEvent<'CredentialsIssued'>,
    ];
    await publisher.emit('AgentHired', hire('ada'));
    const restored = (await heardOf('CredentialsIssued', 'ada', 2)).at(-1);

    assert.deepEqual(restored?.data, { agentId: 'ada', secretArn: first.secretArn, restored: true });
    const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: first.secretArn }));
    assert.equal(described.DeletedDate, undefined);
    assert.equal((await secretsOf('ada')).length, 1);
  });

  it('rotates on request: one new current version per request, under the id it publishes', async () => {
    const [secret] = await secretsOf('grace');
    const before = await secretsManager.send(new GetSecretValueCommand({ SecretId: secret?.ARN }));
    const request = createEvent('CredentialsRotationRequested', {
      agentId: 'grace',
      reason: 'Quarterly rotation',
    });
    await publisher.publish(request);
    await publisher.publish(request);
    const [rotated] = await heardOf('CredentialsRotated', 'grace');

    const after = await secretsManager.send(new GetSecretValueCommand({ SecretId: secret?.ARN }));
    assert.equal(after.VersionId, rotated?.data.versionId);
    assert.notEqual(after.VersionId, before.VersionId);
    assert.notEqual(
      parseAgentSecretValue(after.SecretString ?? '').issuedAt,
      parseAgentSecretValue(before.SecretString ?? '').issuedAt,
    );
    const versions = await secretsManager.send(new ListSecretVersionIdsCommand({ SecretId: secret?.ARN }));
    assert.equal(versions.Versions?.length, 2);
  });

  it('let no secret value into its logs or onto the bus', async () => {
    const passwords: string[] = [];
    for (const agentId of ['ada', 'grace', 'alan']) {
      const [secret] = await secretsOf(agentId);
      const { Versions = [] } = await secretsManager.send(
        new ListSecretVersionIdsCommand({ SecretId: secret?.ARN }),
      );
      for (const version of Versions) {
        const value = await secretsManager.send(
          new GetSecretValueCommand({ SecretId: secret?.ARN, VersionId: version.VersionId }),
        );
        const token = parseAgentSecretValue(value.SecretString ?? '').directory?.token.reveal();
        if (token !== undefined) passwords.push(token);
      }
    }
    assert.equal(passwords.length, 4, 'three hires and one rotation');
    assert.ok(
      serviceLog.some((line) => line.includes('credentials issued')),
      'the service did log',
    );
    const outside = [...serviceLog, JSON.stringify(heard)].join('\n');
    for (const password of passwords) assert.ok(!outside.includes(password), 'a secret value escaped');
  });

  it('dead-lettered nothing along the way', async () => {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: applied.queues.credentials.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
      }),
    );
    assert.deepEqual(Messages, []);
  });
});

after(() => {
  secretsManager.destroy();
  clients.sqs.destroy();
  clients.eventBridge.destroy();
  clients.dynamodb.destroy();
});
