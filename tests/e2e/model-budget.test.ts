import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MatrixClient } from 'matrix-bot-sdk';
import { createMemoryLogger } from '@ocf/logging';
import { useFleetLoggerForMatrix } from '@ocf/matrix';
import { createNaming } from '@ocf/naming';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { agentSecretName, parseAgentSecretValue } from '@ocf/secrets';
import { startFakeOpenAI, type FakeOpenAI } from '../../agent-container/test/support/fake-openai.ts';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { homeserverUnderTest, type HomeserverUnderTest } from '../support/homeserver.ts';
import { registerHuman } from '../support/matrix.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';

/**
 * The budget story of issue 14, end to end on the real services: an agent hired by REST with a
 * tiny budget gets its model key from credentials and its rooms from the bridge; its calls go
 * through the model gateway (to the fake OpenAI-compatible upstream, the one stand-in). At 80 %
 * its manager gets a notice in Matrix, at 100 % its calls are refused with words it would say in
 * chat and the directory shows the budget spent, and a raised budget lets it call again. (The same
 * refusal reaching a chat room through a real OpenClaw agent is in tests/e2e/agent.test.ts.)
 */
describe(
  'model budgets, end to end (directory + credentials + bridge + model gateway)',
  { timeout: 180_000 },
  () => {
    const clients = awsClients();
    const secretsManager = new SecretsManagerClient({});
    const routing = fleetRouting(uniqueEnvironment('budget'));
    const namespace = routing.environment;
    const env = { OCF_ENV: routing.environment, DIRECTORY_OUTBOX_SWEEP_MS: '1000' };
    let hs: HomeserverUnderTest;
    let ceo: { userId: string; client: MatrixClient };
    let llm: FakeOpenAI;
    let token: string;
    let services: RunningServiceProcess[] = [];
    let directory: RunningServiceProcess;
    let gateway: RunningServiceProcess;

    before(async () => {
      useFleetLoggerForMatrix(createMemoryLogger(), 'ERROR');
      hs = await homeserverUnderTest();
      await applyRouting(routing, clients);
      ceo = await registerHuman(hs.url, hs.registrationSharedSecret, `ceo-${namespace}`);
      llm = await startFakeOpenAI(() => ({ text: 'On it.' }));
      token = await runServiceScript('directory', 'create-token.ts', ['--name', 'e2e-budget'], env);
      services = await Promise.all([
        startServiceProcess('directory', env),
        startServiceProcess('credentials', env),
        startServiceProcess('bridge', {
          ...env,
          MATRIX_HOMESERVER_URL: hs.url,
          MATRIX_SERVER_NAME: hs.serverName,
          MATRIX_REGISTRATION_SHARED_SECRET: hs.registrationSharedSecret,
          BRIDGE_AS_ID: hs.appservice.id,
          BRIDGE_AS_TOKEN: hs.appservice.asToken,
          BRIDGE_HS_TOKEN: hs.appservice.hsToken,
          BRIDGE_SENDER_LOCALPART: hs.appservice.senderLocalpart,
          BRIDGE_AS_PORT: '0',
          BRIDGE_NAMESPACE: namespace,
          BRIDGE_CEO_USER_ID: ceo.userId,
        }),
        startServiceProcess('model-gateway', {
          ...env,
          MODEL_UPSTREAM: 'openai-compatible',
          MODEL_UPSTREAM_URL: llm.baseUrl,
          MODEL_UPSTREAM_MODEL: 'fake-model',
          // The fake's 100 tokens in and 10 out cost $0.10 + $0.10 = $0.20 a call.
          MODEL_PRICES: JSON.stringify({
            'fake-model': { inputPerMillionUsd: 1000, outputPerMillionUsd: 10_000 },
          }),
          MODEL_USAGE_REPORT_MS: '300',
        }),
      ]);
      [directory, , , gateway] = services as [
        RunningServiceProcess,
        RunningServiceProcess,
        RunningServiceProcess,
        RunningServiceProcess,
      ];
    });

    after(async () => {
      const codes = await Promise.all(services.map((service) => service.stop()));
      await llm.close();
      assert.deepEqual(
        codes,
        services.map(() => 0),
      );
    });

    const api = async (path: string, method = 'GET', body?: unknown) => {
      const response = await fetch(`${directory.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const naming = () => createNaming({ serverName: hs.serverName, namespace });
    const call = async (key: string) => {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({
          model: 'fake-model',
          messages: [{ role: 'user', content: 'work on the launch plan' }],
        }),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { choices: { message: { content: string } }[] };
      return body.choices[0]?.message.content ?? '';
    };
    /** The notices the fleet's bot posted in the manager↔agent room, read as the bot. */
    async function notices(managerId: string, agentId: string): Promise<string[]> {
      const alias = naming().alias(`dm.${managerId}.${agentId}`);
      const resolved = await fetch(`${hs.url}/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`);
      if (resolved.status !== 200) return [];
      const { room_id: roomId } = (await resolved.json()) as { room_id: string };
      const page = await fetch(
        `${hs.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`,
        { headers: { authorization: `Bearer ${hs.appservice.asToken}` } },
      );
      const { chunk } = (await page.json()) as {
        chunk: { type: string; content: Record<string, unknown> }[];
      };
      return chunk
        .filter((e) => e.type === 'm.room.message' && e.content['msgtype'] === 'm.notice')
        .map((e) => String(e.content['body']));
    }

    it('notifies the manager at 80%, refuses at 100% with words for the chat, shows it spent, and works again once raised', async () => {
      const suffix = namespace.slice(-6);
      const vp = `grace-${suffix}`;
      const agent = `ada-${suffix}`;
      assert.equal(
        (
          await api('/v1/agents', 'POST', {
            agentId: vp,
            name: `Grace ${suffix}`,
            title: 'VP Engineering',
            level: 'vp',
            department: 'Engineering',
            manager: 'ceo',
          })
        ).status,
        202,
      );
      const hired = await api('/v1/agents', 'POST', {
        agentId: agent,
        name: `Ada ${suffix}`,
        title: 'Staff Engineer',
        level: 'ic',
        department: 'Engineering',
        manager: vp,
        monthlyBudgetUsd: 0.5,
      });
      assert.equal(hired.status, 202, JSON.stringify(hired.body));
      assert.equal((await api(`/v1/agents/${agent}`)).body['monthlyBudgetUsd'], 0.5);

      // Its key, from its secret (credentials), once its chat account and rooms exist (bridge).
      await waitFor(
        'the agent to have its chat account',
        async () =>
          (await api(`/v1/agents/${agent}`)).body['status'] === 'chat-account-ready' ? true : undefined,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const { SecretString } = await secretsManager.send(
        new GetSecretValueCommand({ SecretId: agentSecretName(routing.environment, agent) }),
      );
      const key = parseAgentSecretValue(SecretString ?? '').model?.key.reveal();
      assert.ok(key !== undefined, 'credentials wrote a model key');

      assert.equal(await call(key), 'On it.'); // $0.20
      assert.equal(await call(key), 'On it.'); // $0.40: 80 %
      const soft = await waitFor(
        'the soft notice in the manager↔agent room',
        async () => {
          const found = (await notices(vp, agent)).filter((body) => body.includes('budget notice'));
          return found.length > 0 ? found : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      assert.equal(soft.length, 1);
      assert.match(soft[0] ?? '', /has spent \$0\.40 of its \$0\.50 monthly model budget/);
      assert.ok(soft[0]?.includes(naming().agentUserId(vp)), 'it mentions the manager');

      assert.equal(await call(key), 'On it.'); // $0.60: admitted at $0.40, now spent
      const callsBefore = llm.requests.length;
      const refused = await call(key);
      assert.match(refused, /my own monthly model budget for \d{4}-\d{2} is spent \(\$0\.60 of \$0\.50\)/);
      assert.equal(llm.requests.length, callsBefore, 'the refused call never reached the model');
      await waitFor(
        'the exhausted notice for the manager',
        async () =>
          (await notices(vp, agent)).some((body) => body.includes('budget spent')) ? true : undefined,
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      const spent = await waitFor(
        'the directory to show the budget spent',
        async () => {
          const { body } = await api(`/v1/agents/${agent}`);
          const spend = body['modelSpend'] as { budget: string; costUsd: number; calls: number };
          return spend.budget === 'spent' ? spend : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      assert.equal(spent.costUsd, 0.6);
      assert.equal(spent.calls, 3);
      const perDepartment = (await api('/v1/spend')).body as {
        departments: { department: string; costUsd: number }[];
      };
      assert.deepEqual(perDepartment.departments.find((d) => d.department === 'Engineering')?.costUsd, 0.6);

      assert.equal((await api(`/v1/agents/${agent}`, 'PATCH', { monthlyBudgetUsd: 5 })).status, 200);
      const answer = await waitFor(
        'the raised budget to reach the gateway',
        async () => {
          const text = await call(key);
          return text.includes('budget') ? undefined : text;
        },
        { intervalMs: 250 },
      );
      assert.equal(answer, 'On it.');
      assert.equal((await api(`/v1/agents/${agent}`)).body['monthlyBudgetUsd'], 5);
    });
  },
);
