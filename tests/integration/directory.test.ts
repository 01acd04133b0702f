import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { catalogue } from '@ocf/events';
import { agentDirectoryToken, agentTokenKeyName, SecretText } from '@ocf/secrets';
import { applyRouting, DIRECTORY_SOURCE, fleetRouting, type AppliedRouting } from '@ocf/routing';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { listenOnBus, type BusEvent } from '../support/listener.ts';
import { directoryClient, type DirectoryClient } from '../support/directory-client.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';
import { deadLetters } from '../support/dead-letters.ts';
import { fleetQuiet } from '../support/signals.ts';

// The directory as a real process on moto: REST and bus intake, org rules, the status
// projection, and bad input that must never bring it down.
describe('directory service on moto', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('directory'));
  const env = { OCF_ENV: routing.environment, DIRECTORY_OUTBOX_SWEEP_MS: '1000' };
  let applied: AppliedRouting;
  let service: RunningServiceProcess;
  let token: string;
  let cascade: Awaited<ReturnType<typeof listenOnBus>>;
  let rejections: Awaited<ReturnType<typeof listenOnBus>>;

  let directoryApi: DirectoryClient;
  const agentStatus = async (agentId: string) => (await directoryApi.agent(agentId))?.status;
  const putEvents = (entries: { source: string; type: string; detail: unknown }[]) =>
    clients.eventBridge.send(
      new PutEventsCommand({
        Entries: entries.map((e) => ({
          EventBusName: routing.busName,
          Source: e.source,
          DetailType: e.type,
          Detail: JSON.stringify(e.detail),
        })),
      }),
    );

  before(async () => {
    applied = await applyRouting(routing, clients);
    // Hear what the directory tells the cascade, and what it answers outside systems.
    cascade = await listenOnBus(clients, routing.busName, {
      source: [DIRECTORY_SOURCE],
      'detail-type': ['AgentHired', 'AgentRetired', 'AgentUpdated'],
    });
    rejections = await listenOnBus(clients, routing.busName, { 'detail-type': ['HireRejected'] });
    token = await runServiceScript('directory', 'create-token.ts', ['--name', 'integration'], env);
    service = await startServiceProcess('directory', env);
    directoryApi = directoryClient(service.url, token);
  });

  after(async () => {
    assert.equal(await service.stop(), 0, 'exits cleanly on SIGTERM');
    // The API token never appears in the service's output.
    assert.ok(!service.output.join('\n').includes(token));
  });

  const cascadeEventFor = (agentId: string, type: string) => async (): Promise<BusEvent | undefined> =>
    (await cascade.poll()).find((e) => e['detail-type'] === type && e.detail.data['agentId'] === agentId);

  it('hires by REST: recorded, then AgentHired from the directory on the bus', async () => {
    const response = await directoryApi.hire({
      name: 'Grace Hopper',
      title: 'VP Engineering',
      level: 'vp',
      department: 'Engineering',
      manager: 'ceo',
    });
    assert.equal(response.status, 202, await response.clone().text());
    assert.equal(await agentStatus('grace-hopper'), 'hired');
    const hired = await waitFor('AgentHired on the bus', cascadeEventFor('grace-hopper', 'AgentHired'));
    assert.equal(hired.detail.data['managerId'], 'ceo');
  });

  it('hires by a raw PutEvents from any client: same record, same AgentHired, caused by the request', async () => {
    const request = await putEvents([
      {
        source: 'hr.example',
        type: 'AgentHired',
        detail: {
          data: {
            ...catalogue.AgentHired.example,
            managerId: 'grace-hopper',
            level: 'director',
            agentId: 'alan-turing',
            name: 'Alan Turing',
            team: undefined,
          },
        },
      },
    ]);
    const requestId = request.Entries?.[0]?.EventId;
    assert.ok(requestId);
    await waitFor('the outside hire to be recorded', async () =>
      (await agentStatus('alan-turing')) === 'hired' ? true : undefined,
    );
    const hired = await waitFor("the directory's AgentHired", cascadeEventFor('alan-turing', 'AgentHired'));
    assert.equal(hired.source, DIRECTORY_SOURCE);
    assert.equal(hired.detail.metadata?.causationId, requestId);
    assert.equal(hired.detail.metadata.correlationId, requestId);
  });

  it('records an outside hire delivered three times once', async () => {
    const detail = {
      data: {
        ...catalogue.AgentHired.example,
        agentId: 'triple-hire',
        name: 'Triple Hire',
        managerId: 'alan-turing',
        level: 'manager',
      },
    };
    await putEvents([1, 2, 3].map(() => ({ source: 'hr.example', type: 'AgentHired', detail })));
    await waitFor('the hire', async () =>
      (await agentStatus('triple-hire')) === undefined ? undefined : true,
    );
    // Once the directory has handled all three deliveries, look at what reached the cascade:
    // one hire, under one event id (a copy published twice would be deduped downstream anyway).
    await fleetQuiet(clients.sqs, routing, ['directory']);
    const hires = (await cascade.drain()).filter(
      (e) => e['detail-type'] === 'AgentHired' && e.detail.data['agentId'] === 'triple-hire',
    );
    assert.equal(new Set(hires.map((e) => e.detail.metadata?.eventId)).size, 1);
    const list = await directoryApi.list('manager=alan-turing');
    assert.deepEqual(
      list.map((a) => a.agentId),
      ['triple-hire'],
    );
  });

  it('answers an outside hire that breaks the org rules with HireRejected, and records nothing', async () => {
    const request = await putEvents([
      {
        source: 'hr.example',
        type: 'AgentHired',
        detail: { data: { ...catalogue.AgentHired.example, agentId: 'orphan', managerId: 'nobody-at-all' } },
      },
    ]);
    const rejected = await waitFor('HireRejected', async () =>
      (await rejections.poll()).find((e) => e.detail.data['agentId'] === 'orphan'),
    );
    assert.equal(rejected.detail.data['requestEventId'], request.Entries?.[0]?.EventId);
    assert.match(String(rejected.detail.data['reason']), /managerId: no active agent "nobody-at-all"/);
    assert.equal(await agentStatus('orphan'), undefined);
  });

  it('answers an outside request that fails validation with HireRejected when it names an agent; DLQ either way', async () => {
    const { agentId: _, ...valid } = catalogue.AgentHired.example;
    const put = await putEvents([
      {
        source: 'hr.example',
        type: 'AgentHired',
        detail: { data: { ...valid, agentId: 'bad-level', level: 'emperor' } },
      },
      { source: 'hr.example', type: 'AgentRetired', detail: { data: { agentId: 'Not A Slug' } } },
      { source: 'hr.example', type: 'AgentHired', detail: { data: { ...valid } } },
    ]);
    assert.equal(put.FailedEntryCount ?? 0, 0);
    const [badLevel, notASlug, anonymous] = (put.Entries ?? []).map((e) => e.EventId ?? '');
    const answerTo = (requestEventId: string | undefined) => async () =>
      (await rejections.poll()).find((e) => e.detail.data['requestEventId'] === requestEventId);

    const hire = await waitFor('HireRejected for the bad hire', answerTo(badLevel));
    assert.equal(hire.source, DIRECTORY_SOURCE);
    assert.deepEqual(
      { agentId: hire.detail.data['agentId'], requestType: hire.detail.data['requestType'] },
      { agentId: 'bad-level', requestType: 'AgentHired' },
    );
    assert.match(String(hire.detail.data['reason']), /data\.level/);
    const retire = await waitFor('HireRejected for the bad retirement', answerTo(notASlug));
    assert.deepEqual(
      { agentId: retire.detail.data['agentId'], requestType: retire.detail.data['requestType'] },
      { agentId: 'Not A Slug', requestType: 'AgentRetired' },
    );
    assert.match(String(retire.detail.data['reason']), /data\.agentId/);

    // All three go to the DLQ with their reason, as documented; the one without an agent id only there.
    const letters = await waitFor('three dead letters', async () => {
      const found = (await deadLetters(clients.sqs, routing.queues.directory.deadLetterQueueName)).filter(
        (l) => [badLevel, notASlug, anonymous].some((id) => l.body.includes(`"${id}"`)),
      );
      return found.length >= 3 ? found : undefined;
    });
    assert.deepEqual([...new Set(letters.map((l) => l.attributes['ocf.failure.reason']))], ['invalid-data']);
    // A HireRejected is published before its request is dead-lettered: none can come any more.
    await fleetQuiet(clients.sqs, routing, ['directory']);
    assert.equal(await answerTo(anonymous)(), undefined);
    assert.equal(await agentStatus('bad-level'), undefined);
  });

  it('projects cascade events onto the status, step by step, in any order', async () => {
    const at = (s: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, s)).toISOString();
    const event = (type: string, data: Record<string, unknown>, second: number) => ({
      source: `ocf.${type.startsWith('Credentials') ? 'credentials' : type.startsWith('Chat') ? 'bridge' : 'provisioning'}`,
      type,
      detail: {
        metadata: { eventId: `${type}-grace`, correlationId: 'c', occurredAt: at(second), schemaVersion: 1 },
        data,
      },
    });
    // Out of order on purpose: the task's events before the credentials'.
    await putEvents([
      event('AgentLaunching', { agentId: 'grace-hopper', taskArn: 'task-1' }, 3),
      event(
        'ChatAccountReady',
        { agentId: 'grace-hopper', matrixUserId: '@agent-grace-hopper:localhost' },
        2,
      ),
      event(
        'CredentialsIssued',
        {
          agentId: 'grace-hopper',
          secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
          restored: false,
        },
        1,
      ),
    ]);
    await waitFor('launching', async () =>
      (await agentStatus('grace-hopper')) === 'launching' ? true : undefined,
    );
    // The three are handled concurrently: the status can read launching before the last is in.
    await fleetQuiet(clients.sqs, routing, ['directory']);
    const agent = await directoryApi.agent('grace-hopper');
    assert.deepEqual(
      agent?.steps.map((s) => `${s.step}:${s.state}`),
      ['credentials:done', 'chat-account:done', 'task:in-progress'],
    );
  });

  it('retires by REST: AgentRetired to the cascade, retired once every step is undone', async () => {
    const response = await directoryApi.retire('triple-hire', 'test');
    assert.equal(response.status, 202);
    // Nothing was provisioned for this agent, so the retirement has nothing to wait for.
    assert.equal(((await response.json()) as { status: string }).status, 'retired');
    await waitFor('AgentRetired on the bus', cascadeEventFor('triple-hire', 'AgentRetired'));
  });

  it("needs a token for every read, a write token for changes, and takes agents' own tokens for reads", async () => {
    for (const path of ['/v1/agents', '/v1/agents/grace-hopper', '/v1/org-chart']) {
      const anonymous = await fetch(`${service.url}${path}`);
      assert.equal(anonymous.status, 401, path);
      assert.ok(!(await anonymous.text()).includes('Grace'), 'nothing of the org to anonymous callers');
    }
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${service.url}/openapi.json`)).status, 200);

    const readToken = await runServiceScript(
      'directory',
      'create-token.ts',
      ['--name', 'integration-reader', '--scope', 'read'],
      env,
    );
    const reader = directoryClient(service.url, readToken);
    assert.ok((await reader.list('limit=50')).some((a) => a.agentId === 'grace-hopper'));
    const refused = await reader.hire({
      name: 'Nope',
      title: 'x',
      level: 'vp',
      department: 'd',
      manager: 'ceo',
    });
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { message: string }).message, /scope "write"/);

    // The key the credentials service makes with the first agent's credentials (ADR 0016).
    const secretsManager = new SecretsManagerClient({});
    const key = new SecretText('integration-agent-token-key-0123456789abcdef');
    const keyName = agentTokenKeyName(routing.environment);
    await secretsManager.send(new CreateSecretCommand({ Name: keyName, SecretString: key.reveal() }));
    try {
      const agentApi = (agentId: string) =>
        directoryClient(service.url, agentDirectoryToken(key, routing.environment, agentId).reveal());
      const grace = agentApi('grace-hopper');
      assert.equal(
        (await grace.agent('grace-hopper'))?.agentId,
        'grace-hopper',
        "an agent's own token reads",
      );
      const write = await grace.write('/v1/agents/grace-hopper', 'PATCH', { title: 'CEO' });
      assert.equal(write.status, 403, 'and never writes');
      // triple-hire retired in the test before: its token is dead.
      const retired = await fetch(`${service.url}/v1/agents`, {
        headers: {
          authorization: `Bearer ${agentDirectoryToken(key, routing.environment, 'triple-hire').reveal()}`,
        },
      });
      assert.equal(retired.status, 401);
    } finally {
      await secretsManager.send(
        new DeleteSecretCommand({ SecretId: keyName, ForceDeleteWithoutRecovery: true }),
      );
    }
  });

  it('refuses invalid REST bodies with 400 naming the field', async () => {
    const bodies: [unknown, string][] = [
      [{ title: 'x', level: 'ic', department: 'd', manager: 'ceo' }, 'body.name'],
      [{ name: 'Nova Lee', title: 'x', level: 'god', department: 'd', manager: 'ceo' }, 'body.level'],
      [{ name: 'Nova Lee', title: 'x', level: 'ic', department: 'd', manager: 'ghost' }, 'body.manager'],
    ];
    for (const [body, field] of bodies) {
      const response = await directoryApi.write('/v1/agents', 'POST', body);
      assert.equal(response.status, 400);
      const error = (await response.json()) as { field?: string; message: string };
      assert.ok(error.field === field || error.message.includes(field), JSON.stringify(error));
    }
    const malformed = await fetch(`${service.url}/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{"name": ',
    });
    assert.equal(malformed.status, 400);
  });

  it('sends 200 generated malformed events to the DLQ with reasons, and keeps running (property)', async () => {
    const valid = catalogue.AgentHired.example as Record<string, unknown>;
    // Each sample breaks one required field in a way its schema cannot accept: removed, or a
    // value of the wrong kind (strings are wrong only where a slug or an enum is expected).
    const wrongForAnyField = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.constant(''),
      fc.boolean(),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.object({ maxDepth: 1 }),
    );
    const wrongForSlugs = fc.oneof(
      wrongForAnyField,
      fc.constant('Not A Slug!'),
      fc.string({ minLength: 60 }),
    );
    const broken = fc.oneof(
      fc.record({
        field: fc.constantFrom('name', 'title', 'department'),
        value: wrongForAnyField,
        drop: fc.boolean(),
      }),
      fc.record({
        field: fc.constantFrom('agentId', 'level', 'managerId'),
        value: wrongForSlugs,
        drop: fc.boolean(),
      }),
    );
    const samples = fc.sample(broken, { numRuns: 200, seed: 2026 });
    const details = samples.map(({ field, value, drop }) => {
      const data = Object.fromEntries(
        Object.entries({ ...valid, agentId: 'prop-test', [field]: value }).filter(
          ([key]) => !(drop && key === field),
        ),
      );
      return { data };
    });
    for (let i = 0; i < details.length; i += 10) {
      const result = await putEvents(
        details.slice(i, i + 10).map((detail) => ({ source: 'hr.example', type: 'AgentHired', detail })),
      );
      assert.equal(result.FailedEntryCount ?? 0, 0);
    }
    const reasons: string[] = [];
    await waitFor(
      '200 dead letters',
      async () => {
        const got = await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: applied.queues.directory.deadLetterQueueUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
            WaitTimeSeconds: 1,
          }),
        );
        for (const m of got.Messages ?? [])
          reasons.push(m.MessageAttributes?.['ocf.failure.reason']?.StringValue ?? 'none');
        return reasons.length >= 200 ? reasons : undefined;
      },
      { timeoutMs: 120_000 },
    );
    assert.deepEqual([...new Set(reasons)], ['invalid-data']);
    assert.equal(await agentStatus('prop-test'), undefined);
    // Still serving after all of that.
    assert.equal((await fetch(`${service.url}/readyz`)).status, 200);
  });
});
