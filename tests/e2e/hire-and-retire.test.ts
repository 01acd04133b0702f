import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { catalogue } from '@ocf/events';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { agentSecretName, parseAgentSecretValue } from '@ocf/secrets';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';
import { listenOnBus } from '../support/listener.ts';
import { directoryClient, type DirectoryClient } from '../support/directory-client.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';
import { fleetQuiet } from '../support/signals.ts';

// Directory and credentials as real processes on moto, driven only through the public
// interfaces: the REST API, raw PutEvents, and what AWS itself shows.
describe('hire and retire, end to end (directory + credentials)', () => {
  const clients = awsClients();
  const secretsManager = new SecretsManagerClient({});
  const routing = fleetRouting(uniqueEnvironment('e2e'));
  const env = { OCF_ENV: routing.environment, DIRECTORY_OUTBOX_SWEEP_MS: '1000' };
  let directory: RunningServiceProcess;
  let credentials: RunningServiceProcess;
  let token: string;
  let everything: Awaited<ReturnType<typeof listenOnBus>>;

  before(async () => {
    await applyRouting(routing, clients);
    everything = await listenOnBus(clients, routing.busName, { source: [{ prefix: '' }] });
    token = await runServiceScript('directory', 'create-token.ts', ['--name', 'e2e'], env);
    [directory, credentials] = await Promise.all([
      startServiceProcess('directory', env),
      startServiceProcess('credentials', env),
    ]);
    directoryApi = directoryClient(directory.url, token);
  });

  after(async () => {
    const codes = await Promise.all([directory.stop(), credentials.stop()]);
    assert.deepEqual(codes, [0, 0]);
  });

  let directoryApi: DirectoryClient;
  const untilStatus = (agentId: string, status: string) => directoryApi.untilStatus(agentId, status);

  const secretsOf = async (agentId: string) => {
    const name = agentSecretName(routing.environment, agentId);
    const { SecretList } = await secretsManager.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }], IncludePlannedDeletion: true }),
    );
    return (SecretList ?? []).filter((s) => s.Name === name);
  };

  /** A step several tests build on, taken once by whichever needs it first: each test runs alone too. */
  const once = <T>(step: () => Promise<T>): (() => Promise<T>) => {
    let done: Promise<T> | undefined;
    return () => (done ??= step());
  };

  const graceHired = once(async () => {
    const response = await directoryApi.hire({
      name: 'Grace Hopper',
      title: 'VP Engineering',
      level: 'vp',
      department: 'Engineering',
      manager: 'ceo',
    });
    assert.equal(response.status, 202);
    await untilStatus('grace-hopper', 'credentials-issued');
  });

  const adaHiredThreeTimes = once(async () => {
    await graceHired();
    const entry = {
      EventBusName: routing.busName,
      Source: 'hr.example',
      DetailType: 'AgentHired',
      Detail: JSON.stringify({
        data: {
          ...catalogue.AgentHired.example,
          managerId: 'grace-hopper',
          level: 'director',
          team: undefined,
        },
      }),
    };
    await clients.eventBridge.send(new PutEventsCommand({ Entries: [entry, entry, entry] }));
    await untilStatus('ada-lovelace', 'credentials-issued');
    // Count once the directory has handled every delivery, and credentials everything that caused.
    await fleetQuiet(clients.sqs, routing, ['directory', 'credentials']);
  });

  /** Ada retired, and her secret as it was right then. */
  const adaRetired = once(async () => {
    await adaHiredThreeTimes();
    const response = await directoryApi.retire('ada-lovelace');
    assert.equal(response.status, 202);
    await untilStatus('ada-lovelace', 'retired');
    const [secret] = await secretsOf('ada-lovelace');
    return secretsManager.send(new DescribeSecretCommand({ SecretId: secret?.ARN }));
  });

  it('hires by REST: a record and exactly one secret; the status shows the credentials step done', async () => {
    await graceHired();
    assert.equal((await secretsOf('grace-hopper')).length, 1);
    const steps = (await directoryApi.agent('grace-hopper'))?.steps.map((s) => `${s.step}:${s.state}`);
    assert.deepEqual(steps, ['credentials:done', 'chat-account:pending', 'task:pending']);
  });

  it('hires by a raw PutEvents from a plain client, delivered three times: one record, one secret', async () => {
    await adaHiredThreeTimes();
    assert.equal((await secretsOf('ada-lovelace')).length, 1);
    assert.equal((await directoryApi.list('manager=grace-hopper')).length, 1);
  });

  it('retires: the secret is scheduled for deletion and the status is retired', async () => {
    const described = await adaRetired();
    assert.ok(described.DeletedDate, 'scheduled for deletion');
  });

  it('re-hires the retired agent: the same secret is restored, not a second one made', async () => {
    await adaRetired();
    const [before] = await secretsOf('ada-lovelace');
    const response = await directoryApi.hire({
      agentId: 'ada-lovelace',
      name: 'Ada Lovelace',
      title: 'Staff Engineer',
      level: 'director',
      department: 'Engineering',
      manager: 'grace-hopper',
    });
    assert.equal(response.status, 202, await response.clone().text());
    await untilStatus('ada-lovelace', 'credentials-issued');
    const after = await secretsOf('ada-lovelace');
    assert.equal(after.length, 1);
    assert.equal(after[0]?.ARN, before?.ARN);
    const described = await secretsManager.send(new DescribeSecretCommand({ SecretId: before?.ARN }));
    assert.equal(described.DeletedDate, undefined, 'restored');
  });

  it('gives the agent a read token of its own in its secret: reads yes, writes no, nothing once retired', async () => {
    await graceHired();
    const hired = await directoryApi.hire({
      name: 'Alan Turing',
      title: 'Engineering Manager',
      level: 'manager',
      department: 'Engineering',
      manager: 'grace-hopper',
    });
    assert.equal(hired.status, 202, await hired.clone().text());
    await untilStatus('alan-turing', 'credentials-issued');
    const [secret] = await secretsOf('alan-turing');
    const { SecretString } = await secretsManager.send(new GetSecretValueCommand({ SecretId: secret?.ARN }));
    const agentToken = parseAgentSecretValue(SecretString ?? '').directory?.token.reveal();
    assert.ok(agentToken !== undefined, 'the secret carries a directory token');
    const asAgent = directoryClient(directory.url, agentToken);

    assert.ok(
      (await asAgent.list('limit=50')).some((a) => a.agentId === 'grace-hopper'),
      'reads the org',
    );
    const view = await asAgent.agent('alan-turing');
    assert.ok(view !== undefined && !JSON.stringify(view).includes('arn:aws'), 'without secret ARNs');
    const write = await asAgent.write('/v1/agents/alan-turing', 'PATCH', { title: 'CEO' });
    assert.equal(write.status, 403);

    assert.equal((await directoryApi.retire('alan-turing')).status, 202);
    await untilStatus('alan-turing', 'retired');
    const after = await fetch(`${directory.url}/v1/agents`, {
      headers: { authorization: `Bearer ${agentToken}` },
    });
    assert.equal(after.status, 401, "a retired agent's token is refused");
  });

  it('never lets a secret value into the logs or onto the bus', async () => {
    await adaHiredThreeTimes();
    const values: string[] = [];
    for (const agentId of ['grace-hopper', 'ada-lovelace']) {
      const [secret] = await secretsOf(agentId);
      const { SecretString } = await secretsManager.send(
        new GetSecretValueCommand({ SecretId: secret?.ARN }),
      );
      const parsed = JSON.parse(SecretString ?? '{}') as { directory?: { token?: string } };
      // The Matrix token is the bridge's to add (ADR 0020), and no bridge runs here.
      assert.ok(parsed.directory?.token !== undefined, 'the secret holds a real credential');
      values.push(parsed.directory.token);
    }
    const logs = [...directory.output, ...credentials.output].join('\n');
    const bus = JSON.stringify(await everything.poll());
    assert.ok(logs.length > 0 && bus.length > 2);
    for (const value of values) {
      assert.ok(!logs.includes(value), 'a secret value is in the logs');
      assert.ok(!bus.includes(value), 'a secret value is on the bus');
    }
  });
});
