import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MatrixClient } from 'matrix-bot-sdk';
import { createNaming } from '@ocf/naming';
import { applyRouting, fleetRouting } from '@ocf/routing';
import {
  agentDirectoryToken,
  agentModelKey,
  agentSecretName,
  agentTokenKeyName,
  modelKeyKeyName,
  SecretText,
  serializeAgentSecretValue,
} from '@ocf/secrets';
import { startAgent, type AgentProcess } from '../../agent-container/test/support/agent-process.ts';
import {
  currentTurn,
  startFakeOpenAI,
  systemPrompt,
  type ChatRequest,
  type FakeOpenAI,
  type Reply,
} from '../../agent-container/test/support/fake-openai.ts';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { homeserverUnderTest, type HomeserverUnderTest } from '../support/homeserver.ts';
import { registerHuman } from '../support/matrix.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';

const REPOSITORY = resolve(import.meta.dirname, '../..');

// One real OpenClaw agent, started by the agent-container entrypoint as a local process, against
// the real directory service (moto), a real Synapse and Secrets Manager on moto. Its model calls go
// through the real model gateway (a service process, ADR 0017) with the agent's own key. The
// model is the only stand-in: a fake OpenAI-compatible server whose script plays the model's part.
describe(
  'an OpenClaw agent in the org (agent-container entrypoint, real gateway)',
  // Three starts of the real gateway (the first, the restart with fresh state, ADR 0019's resume):
  // each 20-110 s on a busy machine (measured 90-115 s each at load ~10 on 2 cores).
  { timeout: 600_000 },
  () => {
    const environment = uniqueEnvironment('agent');
    const suffix = environment.slice(-6);
    const ids = { vp: `grace-${suffix}`, agent: `ada-${suffix}`, report: `alan-${suffix}` };
    const names = {
      vp: `Grace Hopper ${suffix}`,
      agent: `Ada Lovelace ${suffix}`,
      report: `Alan Turing ${suffix}`,
    };
    const codename = `PELICAN-${randomBytes(3).toString('hex').toUpperCase()}`;
    /** The agent's Matrix access token, minted as the bridge mints it (ADR 0020). */
    let accessToken: string;
    const routing = fleetRouting(environment);

    let hs: HomeserverUnderTest;
    let directory: RunningServiceProcess;
    let gateway: RunningServiceProcess;
    let llm: FakeOpenAI;
    let directoryAdminToken = '';
    let modelKey = '';
    let person: { userId: string; client: MatrixClient };
    let agentUserId: string;
    let secretArn: string;
    let directoryToken = '';
    let roomId: string;
    let scratch: string;
    let workspace: string;
    const runs: AgentProcess[] = [];
    const stateDirs: string[] = [];

    /** The model's part: remember on request, recall from memory, look people up, else chat. */
    function model(request: ChatRequest): Reply {
      const { said, toolResults } = currentTurn(request);
      const tools = new Set((request.tools ?? []).map((t) => t.function.name));
      const result = toolResults.at(-1);
      if (result !== undefined) {
        const found = new RegExp(`PELICAN-[0-9A-F]{6}`).exec(result)?.[0];
        if (found !== undefined) return { text: `The launch codename is ${found}.` };
        return { text: `Here is what I found: ${result.slice(0, 400)}` };
      }
      if (said.includes('please remember') && tools.has('write')) {
        return {
          toolCall: {
            name: 'write',
            arguments: {
              path: 'memory/launch.md',
              content: `# Launch\n\n- The launch codename is ${codename}.\n`,
            },
          },
        };
      }
      if (said.includes('launch codename') && tools.has('memory_search')) {
        return { toolCall: { name: 'memory_search', arguments: { query: 'launch codename' } } };
      }
      if (said.includes('who is your manager') && tools.has('directory__get_manager')) {
        return { toolCall: { name: 'directory__get_manager', arguments: { person: ids.agent } } };
      }
      return { text: 'Hello! Happy to help the Platform team.' };
    }

    before(async () => {
      const started = Date.now();
      hs = await homeserverUnderTest();
      scratch = await mkdtemp(join(tmpdir(), 'ocf-agent-e2e-'));
      workspace = join(scratch, 'workspace');

      // Installed once per machine (network to the npm registry the first time), like the image build.
      execFileSync(
        process.execPath,
        [join(REPOSITORY, 'agent-container/scripts/install-openclaw-plugins.ts')],
        {
          stdio: 'inherit',
        },
      );

      // The org: a VP, the agent (a manager) and its report, hired through the directory's REST API.
      await applyRouting(routing, awsClients());
      const env = { OCF_ENV: environment };
      const token = await runServiceScript('directory', 'create-token.ts', ['--name', 'agent-e2e'], env);
      directoryAdminToken = token;
      directory = await startServiceProcess('directory', env);
      const hire = async (body: Record<string, unknown>) => {
        const response = await fetch(`${directory.url}/v1/agents`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
        assert.equal(response.status, 202, await response.text());
      };
      await hire({
        agentId: ids.vp,
        name: names.vp,
        title: 'VP of Engineering',
        level: 'vp',
        department: 'Engineering',
        manager: 'ceo',
      });
      await hire({
        agentId: ids.agent,
        name: names.agent,
        title: 'Engineering Manager, Platform',
        level: 'manager',
        department: 'Engineering',
        team: 'Platform',
        manager: ids.vp,
      });
      await hire({
        agentId: ids.report,
        name: names.report,
        title: 'Staff Engineer',
        level: 'ic',
        department: 'Engineering',
        team: 'Platform',
        manager: ids.agent,
      });

      // Its Matrix account, made as the bridge makes it: the application service creates the user
      // and logs it in for the agent's device, in a namespace of its own.
      agentUserId = `@agent-${environment}_${ids.agent}:${hs.serverName}`;
      accessToken = await createAgentAccount(hs, `agent-${environment}_${ids.agent}`);

      // Its secret, as the credentials service writes it and the bridge completes it: its own read
      // token for the directory, made with the fleet's agent-token key, and the Matrix token.
      const secretsManager = new SecretsManagerClient({});
      const tokenKey = new SecretText(randomBytes(32).toString('base64url'));
      await secretsManager.send(
        new CreateSecretCommand({ Name: agentTokenKeyName(environment), SecretString: tokenKey.reveal() }),
      );
      directoryToken = agentDirectoryToken(tokenKey, environment, ids.agent).reveal();
      // And its model key, bound to the secret's first version, as credentials makes it.
      const modelKeyKey = new SecretText(randomBytes(32).toString('base64url'));
      await secretsManager.send(
        new CreateSecretCommand({ Name: modelKeyKeyName(environment), SecretString: modelKeyKey.reveal() }),
      );
      const versionId = randomUUID();
      modelKey = agentModelKey(modelKeyKey, environment, ids.agent, versionId).reveal();
      const created = await secretsManager.send(
        new CreateSecretCommand({
          Name: agentSecretName(environment, ids.agent),
          ClientRequestToken: versionId,
          SecretString: serializeAgentSecretValue({
            version: 1,
            matrix: { accessToken: new SecretText(accessToken), deviceId: 'OCFAGENT' },
            issuedAt: new Date().toISOString(),
            directory: { token: new SecretText(directoryToken) },
            model: { key: new SecretText(modelKey) },
          }).reveal(),
        }),
      );
      secretArn = created.ARN ?? '';

      person = await registerHuman(hs.url, hs.registrationSharedSecret, `person-${suffix}`);

      llm = await startFakeOpenAI(model);
      // The fleet's model gateway in front of it: it learns the agents from the directory's AgentHired.
      gateway = await startServiceProcess('model-gateway', {
        ...env,
        MODEL_UPSTREAM: 'openai-compatible',
        MODEL_UPSTREAM_URL: llm.baseUrl,
        MODEL_UPSTREAM_MODEL: 'fake-model',
        MODEL_PRICES: JSON.stringify({ 'fake-model': { inputPerMillionUsd: 1, outputPerMillionUsd: 1 } }),
        MODEL_USAGE_REPORT_MS: '500',
        // The test polls the gateway with the agent's key besides the agent's own calls.
        MODEL_REQUESTS_PER_MINUTE: '1000',
      });
      process.stderr.write(`[agent-e2e] setup took ${Date.now() - started} ms\n`);
    });

    after(async () => {
      for (const run of runs) await run.stop();
      await Promise.all([directory.stop(), gateway.stop(), llm.close()]);
      await rm(scratch, { recursive: true, force: true });
    });

    async function start(): Promise<AgentProcess> {
      const stateDir = join(scratch, `state-${runs.length + 1}`);
      stateDirs.push(stateDir);
      const env: Record<string, string> = {
        PATH: process.env['PATH'] ?? '',
        AWS_ENDPOINT_URL: process.env['AWS_ENDPOINT_URL'] ?? '',
        AWS_REGION: process.env['AWS_REGION'] ?? 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        OCF_ENV: environment,
        AGENT_ID: ids.agent,
        AGENT_SECRET_ARN: secretArn,
        AGENT_WORKSPACE: workspace,
        DIRECTORY_URL: directory.url,
        MATRIX_HOMESERVER_URL: hs.url,
        MATRIX_SERVER_NAME: hs.serverName,
        MATRIX_NAMESPACE: environment,
        MATRIX_ORG_HUMANS: person.userId,
        MODEL_ID: 'fake-model',
        MODEL_GATEWAY_URL: gateway.url,
        GATEWAY_PORT: String(await freePort()),
        // A fresh directory each run, as a new task gets: only the workspace carries over.
        OPENCLAW_STATE_DIR: stateDir,
        LOG_LEVEL: 'INFO',
      };
      const run = await startAgent(env);
      runs.push(run);
      return run;
    }

    /** The agent as the directory shows it to an operator. */
    async function readAgent(): Promise<{
      monthlyBudgetUsd?: number;
      modelSpend: { calls: number; costUsd: number; budget: string };
    }> {
      const response = await fetch(`${directory.url}/v1/agents/${ids.agent}`, {
        headers: { authorization: `Bearer ${directoryAdminToken}` },
      });
      assert.equal(response.status, 200);
      return (await response.json()) as never;
    }

    /** Says something in the room, mentioning the agent, and returns the agent's next message. */
    async function ask(text: string): Promise<string> {
      const eventId = await person.client.sendMessage(roomId, {
        msgtype: 'm.text',
        body: `${agentUserId} ${text}`,
        'm.mentions': { user_ids: [agentUserId] },
      });
      const answer = waitFor(
        `the agent's answer to "${text}"`,
        async () => {
          const { chunk } = (await person.client.doRequest(
            'GET',
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`,
            { dir: 'b', limit: 20 },
          )) as { chunk: { event_id: string; sender: string; type: string; content: { body?: string } }[] };
          const asked = chunk.findIndex((event) => event.event_id === eventId);
          const answer = chunk
            .slice(0, Math.max(asked, 0))
            .findLast((e) => e.sender === agentUserId && e.type === 'm.room.message');
          return answer?.content.body;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      // A silent agent fails the test with what it was doing.
      return answer.catch((error: unknown) => {
        const tail = runs.at(-1)?.output.slice(-60).join('\n') ?? '';
        throw new Error(`${(error as Error).message}\nthe agent's last output:\n${tail}`, { cause: error });
      });
    }

    async function say(room: string, text: string, { mention = false } = {}): Promise<string> {
      return person.client.sendMessage(
        room,
        mention
          ? { msgtype: 'm.text', body: `${agentUserId} ${text}`, 'm.mentions': { user_ids: [agentUserId] } }
          : { msgtype: 'm.text', body: text },
      );
    }

    /** The agent's messages in a room after one event (and before another, if given), oldest first. */
    async function agentMessagesBetween(room: string, after: string, before?: string): Promise<string[]> {
      const { chunk } = (await person.client.doRequest(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages`,
        { dir: 'b', limit: 50 },
      )) as { chunk: { event_id: string; sender: string; type: string; content: { body?: string } }[] };
      const start = chunk.findIndex((event) => event.event_id === after);
      if (start < 0) return [];
      const end = before === undefined ? -1 : chunk.findIndex((event) => event.event_id === before);
      return chunk
        .slice(end < 0 ? 0 : end + 1, start)
        .filter((e) => e.sender === agentUserId && e.type === 'm.room.message')
        .map((e) => e.content.body ?? '')
        .reverse();
    }

    /** The agent's first message in a room after an event. */
    async function answerTo(room: string, eventId: string): Promise<string> {
      return waitFor(
        `the agent's answer to ${eventId}`,
        async () => (await agentMessagesBetween(room, eventId))[0],
        { timeoutMs: 60_000, intervalMs: 250 },
      ).catch((error: unknown) => {
        const tail = runs.at(-1)?.output.slice(-60).join('\n') ?? '';
        throw new Error(`${(error as Error).message}\nthe agent's last output:\n${tail}`, { cause: error });
      });
    }

    it('starts, joins its team room when invited, and answers a mention with its persona in the prompt', async () => {
      const startedAt = Date.now();
      const run = await start();
      process.stderr.write(`[agent-e2e] first start to ready: ${Date.now() - startedAt} ms\n`);

      // The team room, under the alias the bridge gives it; the agent accepts the invitation
      // because the alias is one of its org rooms. Org-room aliases are the bridge's exclusive
      // namespace, so nobody but the application service may set one: the alias goes on as the
      // bridge would put it, with the application service's token, before the invitation.
      roomId = await person.client.createRoom({ name: 'Platform · Engineering', preset: 'private_chat' });
      const alias = createNaming({ serverName: hs.serverName, namespace: environment }).alias(
        'engineering.platform-team',
      );
      const aliased = await fetch(`${hs.url}/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${hs.appservice.asToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ room_id: roomId }),
      });
      assert.equal(aliased.status, 200, await aliased.text());
      await person.client.sendStateEvent(roomId, 'm.room.canonical_alias', '', { alias });
      await person.client.inviteUser(agentUserId, roomId);
      await waitFor('the agent to join its team room', async () => {
        const members = await person.client.getJoinedRoomMembers(roomId);
        return members.includes(agentUserId) ? true : undefined;
      });

      const requestsBefore = llm.requests.length;
      const answer = await ask('hello, what does our team do?');
      assert.equal(answer, 'Hello! Happy to help the Platform team.');

      const request = llm.requests
        .slice(requestsBefore)
        .find((r) => currentTurn(r).said.includes('what does our team do'));
      assert.ok(request, 'the fake model received the mention');
      const prompt = systemPrompt(request);
      assert.match(prompt, new RegExp(`You are \\*\\*${names.agent}\\*\\*, Engineering Manager, Platform`));
      assert.ok(prompt.includes(names.vp), 'the persona names the manager');
      assert.ok(prompt.includes(names.report), 'the persona names the direct report');
      assert.ok(prompt.includes('## Your role as a manager'), 'the level layer');
      assert.ok(prompt.includes('Engineering builds and runs the product'), 'the department layer');
      assert.ok(run.output.some((line) => line.includes('"message":"gateway started"')));
    });

    it('looks people up in the directory through its tool', async () => {
      const answer = await ask('who is your manager?');
      assert.match(answer, new RegExp(names.vp));
      assert.match(answer, /VP of Engineering/);
    });

    it('writes what it is asked to remember into its workspace', async () => {
      await ask(`please remember that the launch codename is ${codename}`);
      const files = await readdir(join(workspace, 'memory'));
      const notes = await Promise.all(files.map((f) => readFile(join(workspace, 'memory', f), 'utf8')));
      assert.ok(
        notes.some((n) => n.includes(codename)),
        `a memory file holds the codename: ${files.join(', ')}`,
      );
    });

    it('stops on SIGTERM with exit code 0, and after a restart with fresh state still knows what it wrote', async () => {
      const first = runs.at(-1);
      assert.ok(first);
      const stopping = Date.now();
      assert.equal(await first.stop(), 0);
      process.stderr.write(`[agent-e2e] SIGTERM to exit: ${Date.now() - stopping} ms\n`);
      assert.ok(first.output.some((line) => line.includes('"message":"stopped"')));

      const restarting = Date.now();
      await start();
      process.stderr.write(`[agent-e2e] restart to ready: ${Date.now() - restarting} ms\n`);
      const requestsBefore = llm.requests.length;
      const answer = await ask('what is the launch codename?');
      assert.equal(answer, `The launch codename is ${codename}.`);
      // The model saw the note come back from memory search over the workspace it wrote before.
      const recalled = llm.requests
        .slice(requestsBefore)
        .some((r) => currentTurn(r).toolResults.some((t) => t.includes(codename)));
      assert.ok(recalled, 'the memory search result carried the codename');
    });

    it('answers, once each, a mention and a direct message sent while it was stopped (ADR 0019)', async () => {
      // A direct-message room, joined by the agent as the bridge puts an agent in a room: with the
      // application service's token, acting as the agent.
      const dmRoom = await person.client.createRoom({
        preset: 'trusted_private_chat',
        is_direct: true,
        invite: [agentUserId],
      });
      await joinAsAgent(hs, agentUserId, dmRoom);
      const welcome = await answerTo(dmRoom, await say(dmRoom, 'hello there, direct line test'));
      assert.equal(welcome, 'Hello! Happy to help the Platform team.');

      const before = runs.at(-1);
      assert.ok(before);
      assert.equal(await before.stop(), 0);
      assert.ok(
        before.output.some((line) => line.includes('"message":"saved state for the next start"')),
        'the clean stop saved the sync position',
      );

      // Addressed while nobody runs the agent: a mention in the team room and a direct message.
      const mentioned = await say(roomId, 'while you were away: mention one', { mention: true });
      const direct = await say(dmRoom, 'while you were away: direct one');

      const run = await start();
      assert.ok(
        run.output.some((line) => line.includes('"message":"resuming from the last clean stop"')),
        'the start resumed from the saved state',
      );
      assert.equal(await answerTo(roomId, mentioned), 'Hello! Happy to help the Platform team.');
      assert.equal(await answerTo(dmRoom, direct), 'Hello! Happy to help the Platform team.');

      // Exactly once: a later message in each room is answered after them, so a second answer to
      // the missed ones (a replay of the resumed sync) would have come before it.
      const laterMention = await say(roomId, 'and a later mention', { mention: true });
      const laterDirect = await say(dmRoom, 'and a later private message');
      await answerTo(roomId, laterMention);
      await answerTo(dmRoom, laterDirect);
      assert.equal((await agentMessagesBetween(roomId, mentioned, laterMention)).length, 1);
      assert.equal((await agentMessagesBetween(dmRoom, direct, laterDirect)).length, 1);
      for (const text of ['mention one', 'direct one', 'direct line test'])
        assert.equal(
          llm.requests.filter((r) => currentTurn(r).said.includes(text)).length,
          1,
          `the model saw "${text}" once`,
        );
    });

    it('keeps the secret out of the environment, the logs and every file but the private secrets file', async () => {
      const last = runs.at(-1);
      assert.ok(last);
      // The entrypoint's environment, and the gateway's (read from /proc while it runs).
      for (const run of runs)
        for (const secret of [accessToken, directoryToken, modelKey])
          assert.ok(!Object.values(run.env).some((value) => value.includes(secret)));
      const gatewayPid = gatewayPidOf(last);
      const gatewayEnv = await readFile(`/proc/${gatewayPid}/environ`, 'utf8');
      assert.ok(gatewayEnv.includes('OPENCLAW_STATE_DIR='), 'read the gateway process environment');
      assert.ok(!gatewayEnv.includes(accessToken), 'not in the gateway environment');
      assert.ok(!gatewayEnv.includes(directoryToken), 'the directory token stays with the entrypoint');
      assert.ok(!gatewayEnv.includes(modelKey), 'the model key is in the secrets file only');
      assert.ok(!gatewayEnv.includes('AWS_ENDPOINT_URL'), 'the emulator endpoint stays with the entrypoint');

      // Everything both runs printed (the entrypoint and OpenClaw's console log).
      for (const run of runs)
        assert.ok(
          !run.output.some(
            (line) => line.includes(accessToken) || line.includes(directoryToken) || line.includes(modelKey),
          ),
          'not in the output',
        );
      // Nor in the model gateway's logs.
      assert.ok(!gateway.output.some((line) => line.includes(modelKey.split('.').at(-1) ?? modelKey)));

      // Every file of both state directories and the workspace: the owner-only secrets file, and
      // OpenClaw's own state database, where its Matrix channel caches the session it runs on (as
      // it cached the session a password login made before ADR 0020). Both sit in the owner-only
      // state directory; nothing in the workspace, where the agent's tools can read.
      const holders: string[] = [];
      for (const root of [...stateDirs, workspace]) {
        for (const file of await filesUnder(root)) {
          const content = await readFile(file);
          if (content.includes(accessToken)) holders.push(file);
          // The directory token is used by the entrypoint's directory tool only: no file holds it.
          assert.ok(!content.includes(directoryToken), `${file} holds the directory token`);
        }
      }
      const expected = stateDirs.map((dir) => join(dir, 'secrets', 'agent.json'));
      for (const file of expected) assert.ok(holders.includes(file), `${file} holds the token`);
      for (const file of holders) {
        const dir = stateDirs.find((stateDir) => file.startsWith(`${stateDir}/`));
        assert.ok(dir !== undefined, `${file} is outside the agent's state directories`);
        const relative = file.slice(dir.length + 1);
        assert.ok(
          relative === join('secrets', 'agent.json') || relative.startsWith(join('state', 'openclaw.sqlite')),
          `${relative} holds the token`,
        );
        assert.equal((await stat(dir)).mode & 0o077, 0, `${dir} is owner-only`);
      }
      for (const file of expected) assert.equal((await stat(file)).mode & 0o077, 0, `${file} is owner-only`);
      const config = await readFile(join(stateDirs.at(-1) ?? '', 'openclaw.json'), 'utf8');
      assert.ok(
        config.includes('"source": "file"') && !config.includes(accessToken),
        'the config only refers to it',
      );
    });

    it('says in chat when its budget is spent, its status shows it, and it answers again once raised', async () => {
      const patch = async (body: Record<string, unknown>) => {
        const response = await fetch(`${directory.url}/v1/agents/${ids.agent}`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${directoryAdminToken}` },
          body: JSON.stringify(body),
        });
        assert.equal(response.status, 200, await response.text());
      };
      /** What the gateway answers the agent's key right now (an AgentUpdated reaches it through its queue). */
      const gatewaySays = async () => {
        const response = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${modelKey}` },
          body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'ping' }] }),
        });
        const body = (await response.json()) as { choices: { message: { content: string } }[] };
        return body.choices[0]?.message.content ?? '';
      };

      // The calls so far went through the gateway: the directory shows what they cost.
      await waitFor('the directory to show the model spend so far', async () => {
        const agent = await readAgent();
        return agent.modelSpend.calls > 0 ? agent : undefined;
      });

      await patch({ monthlyBudgetUsd: 0 });
      await waitFor(
        'the gateway to apply the new budget',
        async () => ((await gatewaySays()).includes('budget') ? true : undefined),
        { intervalMs: 250 },
      );
      const requestsBefore = llm.requests.length;
      const refused = await ask('can you summarise the launch plan?');
      assert.match(refused, /monthly model budget for \d{4}-\d{2} is spent/);
      assert.equal(
        llm.requests.slice(requestsBefore).some((r) => currentTurn(r).said.includes('launch plan')),
        false,
        'the refused turn never reached the model',
      );
      const status = await waitFor('the status to show the budget spent', async () => {
        const agent = await readAgent();
        return agent.modelSpend.budget === 'spent' ? agent : undefined;
      });
      assert.equal(status.monthlyBudgetUsd, 0);

      await patch({ monthlyBudgetUsd: 100 });
      await waitFor(
        'the gateway to apply the raised budget',
        async () => ((await gatewaySays()).includes('budget') ? undefined : true),
        { intervalMs: 250 },
      );
      assert.equal(
        await ask('hello again, what does our team do?'),
        'Hello! Happy to help the Platform team.',
      );
    });

    it("answers the Dockerfile's health check", async () => {
      const last = runs.at(-1);
      assert.ok(last);
      const dockerfile = await readFile(join(REPOSITORY, 'agent-container/Dockerfile'), 'utf8');
      const probe = /^HEALTHCHECK .*CMD \["node", "-e", "(.*)"\]$/m.exec(dockerfile)?.[1];
      assert.ok(probe, 'the Dockerfile has an exec-form node health check');
      const script = JSON.parse(`"${probe}"`) as string;
      // Runs exactly what the image runs, with the port this run listens on.
      execFileSync(process.execPath, ['-e', script], {
        env: { ...process.env, GATEWAY_PORT: last.env['GATEWAY_PORT'] },
      });
    });

    it('exits non-zero when its gateway dies', async () => {
      const last = runs.at(-1);
      assert.ok(last);
      const exited = new Promise<number | null>((resolve) => last.child.once('exit', resolve));
      process.kill(gatewayPidOf(last), 'SIGKILL');
      assert.equal(await exited, 1);
      assert.ok(last.output.some((line) => line.includes('"message":"gateway exited on its own"')));
    });
  },
);

/**
 * Creates `@<localpart>` the way the bridge does (the application service registers it, with no
 * password) and mints its access token the way the bridge does: an application-service login for
 * the agent's device. No admin, no shared secret (ADR 0020).
 */
async function createAgentAccount(hs: HomeserverUnderTest, localpart: string): Promise<string> {
  const asRequest = (path: string, body: unknown) =>
    fetch(`${hs.url}/_matrix/client/v3/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hs.appservice.asToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const registered = await asRequest('register', {
    type: 'm.login.application_service',
    username: localpart,
    inhibit_login: true,
  });
  assert.equal(registered.status, 200, await registered.text());
  const login = await asRequest('login', {
    type: 'm.login.application_service',
    identifier: { type: 'm.id.user', user: localpart },
    device_id: 'OCFAGENT',
  });
  assert.equal(login.status, 200, await login.clone().text());
  const { access_token: token } = (await login.json()) as { access_token?: string };
  assert.ok(typeof token === 'string' && token.length > 0);
  return token;
}

/** Joins a room as the agent, with the application service's token, as the bridge does. */
async function joinAsAgent(hs: HomeserverUnderTest, agentUserId: string, roomId: string): Promise<void> {
  const joined = await fetch(
    `${hs.url}/_matrix/client/v3/join/${encodeURIComponent(roomId)}?user_id=${encodeURIComponent(agentUserId)}`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${hs.appservice.asToken}`, 'content-type': 'application/json' },
      body: '{}',
    },
  );
  assert.equal(joined.status, 200, await joined.text());
}

function gatewayPidOf(run: AgentProcess): number {
  for (const line of run.output) {
    if (!line.includes('"message":"gateway started"')) continue;
    return (JSON.parse(line) as { pid: number }).pid;
  }
  throw new Error('no "gateway started" line');
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  // Symbolic links lead into the plugin home (installed packages), not this agent's files.
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
