/**
 * Issue 12 item 1: the local AWS state survives a `stack down` / `stack up` of moto and a crash
 * (SIGKILL) of moto, through the project's launcher (ADR 0015). A stack of its own, in a fresh
 * folder on free ports, so the developer's stack is never stopped.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { stackDown, stackStatus, stackUp, type StackOptions } from '@ocf/local-stack';

const timeout = 5 * 60_000;

describe('local AWS state', { timeout }, () => {
  let options: StackOptions & { stateDir: string };
  let endpoint: string;
  const client = <T>(make: new (config: object) => T): T =>
    new make({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });

  before(async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'ocf-durable-'));
    options = {
      stateDir,
      ...(process.env['OCF_VENV_DIR'] === undefined ? {} : { venvDir: process.env['OCF_VENV_DIR'] }),
      motoPort: await freePort(),
      synapsePort: await freePort(),
    };
    endpoint = (await stackUp(options)).info.awsEndpoint;
  });

  after(async () => {
    await stackDown(options);
    await rm(options.stateDir, { recursive: true, force: true });
  });

  async function write(tag: string): Promise<{ secretArn: string; queueUrl: string }> {
    const secrets = client(SecretsManagerClient);
    const sqs = client(SQSClient);
    const dynamodb = client(DynamoDBClient);
    const { ARN } = await secrets.send(
      new CreateSecretCommand({ Name: `agent-${tag}`, SecretString: `token-${tag}` }),
    );
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `queue-${tag}` }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `hire-${tag}` }));
    await dynamodb.send(
      new CreateTableCommand({
        TableName: `table-${tag}`,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await dynamodb.send(
      new PutItemCommand({
        TableName: `table-${tag}`,
        Item: { pk: { S: tag }, secretArn: { S: ARN ?? '' } },
      }),
    );
    assert.ok(ARN !== undefined && QueueUrl !== undefined);
    return { secretArn: ARN, queueUrl: QueueUrl };
  }

  async function assertStillThere(
    tag: string,
    written: { secretArn: string; queueUrl: string },
  ): Promise<void> {
    const item = await client(DynamoDBClient).send(
      new GetItemCommand({ TableName: `table-${tag}`, Key: { pk: { S: tag } }, ConsistentRead: true }),
    );
    // The ARN a table holds still names the secret: ids are kept, not regenerated.
    assert.equal(item.Item?.['secretArn']?.S, written.secretArn);
    const secret = await client(SecretsManagerClient).send(
      new GetSecretValueCommand({ SecretId: written.secretArn }),
    );
    assert.equal(secret.SecretString, `token-${tag}`);
    const received = await client(SQSClient).send(
      new ReceiveMessageCommand({ QueueUrl: written.queueUrl, WaitTimeSeconds: 1 }),
    );
    assert.deepEqual(
      received.Messages?.map((m) => m.Body),
      [`hire-${tag}`],
    );
  }

  it('survives stopping and starting moto', async () => {
    const written = await write('stop');
    assert.deepEqual((await stackDown({ ...options, only: ['moto'] })).stopped, ['moto']);
    assert.equal((await stat(path.join(options.stateDir, 'moto', 'state.pickle'))).mode & 0o777, 0o600);
    assert.deepEqual((await stackUp(options)).started, ['moto']);
    await assertStillThere('stop', written);
  });

  it('survives a SIGKILL of moto, losing at most the last second', async () => {
    const written = await write('kill');
    // The launcher saves at most a second after a change; a crash loses no more than that.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const moto = (await stackStatus(options)).find((s) => s.name === 'moto');
    assert.ok(moto?.pid !== undefined);
    process.kill(-moto.pid, 'SIGKILL');
    await waitUntil(
      async () => (await stackStatus(options)).find((s) => s.name === 'moto')?.state === 'stopped',
    );
    assert.deepEqual((await stackUp(options)).started, ['moto']);
    await assertStillThere('kill', written);
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
