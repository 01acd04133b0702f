import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { parseEventMessage, type AnyFleetEvent, type EventType, type FleetEvent } from '@ocf/events';
import { applyRouting, DIRECTORY_SOURCE, fleetRouting, type AppliedRouting } from '@ocf/routing';
import { createEventBridgePublisher } from '@ocf/runtime';
import { agentSecretName, parseAgentSecretValue } from '@ocf/secrets';
import {
  currentTurn,
  startFakeOpenAI,
  type ChatRequest,
  type FakeOpenAI,
  type Reply,
} from '../../agent-container/test/support/fake-openai.ts';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { startServiceProcess, type RunningServiceProcess } from '../support/services.ts';

const clients = awsClients();
const secretsManager = new SecretsManagerClient({});

/**
 * The model gateway as a real process between a client and the fake OpenAI-compatible upstream
 * (the one stand-in: no model runs here), with the real credentials service issuing, rotating and
 * revoking the agent's model key in Secrets Manager on moto, and the events on the bus. The
 * directory's queue is the observer: it hears every event the gateway publishes.
 */
describe(
  'model gateway on moto, with the credentials service and a fake upstream',
  { timeout: 120_000 },
  () => {
    const routing = fleetRouting(uniqueEnvironment('gateway'));
    const publisher = createEventBridgePublisher({
      client: clients.eventBridge,
      busName: routing.busName,
      source: DIRECTORY_SOURCE,
    });
    const canary = `CANARY-${Math.random().toString(36).slice(2, 10)}`;
    let applied: AppliedRouting;
    let llm: FakeOpenAI;
    let credentials: RunningServiceProcess;
    let gateway: RunningServiceProcess;
    const heard: AnyFleetEvent[] = [];

    /** The model: a tool call when it is offered one and has no result yet, else a text answer. */
    function model(request: ChatRequest): Reply {
      const { toolResults } = currentTurn(request);
      const tools = (request.tools ?? []).map((t) => t.function.name);
      if (tools.includes('lookup') && toolResults.length === 0) {
        return { toolCall: { name: 'lookup', arguments: { query: 'launch' } } };
      }
      return { text: toolResults.length > 0 ? `Found: ${toolResults.join(', ')}` : 'Hello from upstream.' };
    }

    before(async () => {
      applied = await applyRouting(routing, clients);
      llm = await startFakeOpenAI(model);
      const env = { OCF_ENV: routing.environment };
      credentials = await startServiceProcess('credentials', env);
      gateway = await startServiceProcess('model-gateway', {
        ...env,
        MODEL_UPSTREAM: 'openai-compatible',
        MODEL_UPSTREAM_URL: llm.baseUrl,
        MODEL_UPSTREAM_MODEL: 'fake-model',
        // $1 per 1,000 tokens in, $10 per 1,000 out: the fake's 100 + 10 tokens cost $0.20 a call.
        MODEL_PRICES: JSON.stringify({
          'fake-model': { inputPerMillionUsd: 1000, outputPerMillionUsd: 10_000 },
        }),
        MODEL_USAGE_REPORT_MS: '300',
      });
    });

    after(async () => {
      const codes = await Promise.all([gateway.stop(), credentials.stop()]);
      await llm.close();
      assert.deepEqual(codes, [0, 0]);
    });

    async function heardOf<T extends EventType>(type: T, agentId: string): Promise<FleetEvent<T>[]> {
      return waitFor(`${type} for ${agentId} on the bus`, async () => {
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
        const found = heard.filter(
          (e) => e.type === type && 'agentId' in e.data && e.data.agentId === agentId,
        );
        return found.length > 0 ? (found as FleetEvent<T>[]) : undefined;
      });
    }

    /** The agent's current model key, once credentials has written one (a new version after a rotation). */
    async function modelKey(agentId: string, not?: string): Promise<string> {
      return waitFor(`a model key in ${agentId}'s secret`, async () => {
        const { SecretString } = await secretsManager.send(
          new GetSecretValueCommand({ SecretId: agentSecretName(routing.environment, agentId) }),
        );
        const key = parseAgentSecretValue(SecretString ?? '').model?.key.reveal();
        return key !== undefined && key !== not ? key : undefined;
      });
    }

    async function hire(agentId: string, extra: Record<string, unknown> = {}): Promise<string> {
      await publisher.emit('AgentHired', {
        agentId,
        name: `Agent ${agentId}`,
        title: 'Engineer',
        level: 'ic',
        department: 'Engineering',
        managerId: 'ceo',
        ...extra,
      });
      return modelKey(agentId);
    }

    const chat = (key: string | undefined, body: Record<string, unknown>) =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        },
        body: JSON.stringify({ model: 'whatever-the-agent-says', ...body }),
      });

    /** Calls until the gateway knows the agent (its AgentHired is consumed from the queue). */
    async function firstAnswer(key: string): Promise<Response> {
      return waitFor('the gateway to know the agent', async () => {
        const response = await chat(key, { messages: [{ role: 'user', content: 'hi' }] });
        return response.status === 401 ? undefined : response;
      });
    }

    it('passes a non-streamed call through to the upstream and back, with its usage', async () => {
      const key = await hire('ada');
      const response = await firstAnswer(key);
      assert.equal(response.status, 200);
      const body = (await response.json()) as { choices: { message: { content: string } }[]; usage: unknown };
      assert.equal(body.choices[0]?.message.content, 'Hello from upstream.');
      assert.deepEqual(body.usage, { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 });
      assert.equal(llm.requests.at(-1)?.model, 'fake-model', "the fleet's model, not the agent's guess");
    });

    it('streams a tool call, then its answer, in the chunks OpenClaw reads, with usage when asked', async () => {
      const key = await modelKey('ada');
      const tools = [
        { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } },
      ];
      const first = await chat(key, {
        stream: true,
        stream_options: { include_usage: true },
        tools,
        messages: [{ role: 'user', content: `what is the launch codename? ${canary}` }],
      });
      assert.equal(first.status, 200);
      assert.match(first.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = (await first.text())
        .split('\n\n')
        .filter((e) => e.startsWith('data: '))
        .map((e) => e.slice(6));
      assert.equal(events.at(-1), '[DONE]');
      const chunks = events.slice(0, -1).map(
        (e) =>
          JSON.parse(e) as {
            choices: {
              delta: { tool_calls?: { function: { name?: string; arguments?: string } }[] };
              finish_reason: string | null;
            }[];
            usage?: unknown;
          },
      );
      const [call] = chunks.flatMap((c) => c.choices.flatMap((choice) => choice.delta.tool_calls ?? []));
      assert.ok(call);
      assert.equal(call.function.name, 'lookup');
      assert.deepEqual(JSON.parse(call.function.arguments ?? ''), { query: 'launch' });
      assert.equal(chunks.flatMap((c) => c.choices).at(-1)?.finish_reason, 'tool_calls');
      assert.deepEqual(chunks.at(-1)?.usage, {
        prompt_tokens: 100,
        completion_tokens: 10,
        total_tokens: 110,
      });
      assert.equal(llm.requests.at(-1)?.stream, true);

      const second = await chat(key, {
        stream: true,
        tools,
        messages: [
          { role: 'user', content: 'what is the launch codename?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'PELICAN' },
        ],
      });
      const text = (await second.text())
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map(
          (e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[]; usage?: unknown },
        );
      assert.equal(text.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Found: PELICAN');
      assert.equal(
        text.some((c) => c.usage !== undefined),
        false,
        'no usage chunk unless asked',
      );
    });

    it('reports usage coalesced: ModelUsageReported carries month totals, far fewer reports than calls', async () => {
      const key = await modelKey('ada');
      for (let i = 0; i < 10; i++)
        assert.equal((await chat(key, { messages: [{ role: 'user', content: 'hi' }] })).status, 200);
      // 1 + 2 calls above, and these 10.
      const reports = await waitFor('a report with all 13 calls', async () => {
        const all = await heardOf('ModelUsageReported', 'ada');
        return all.some((r) => r.data.calls >= 13) ? all : undefined;
      });
      const latest = reports.at(-1);
      assert.ok(latest);
      assert.equal(latest.data.department, 'Engineering');
      assert.equal(latest.data.calls, 13);
      assert.equal(latest.data.costUsd, 2.6, '13 calls at $0.20');
      assert.ok(reports.length < 13, `${reports.length} reports for 13 calls`);
    });

    it('refuses a call without a key, and another agent spending with an edited key', async () => {
      const none = await chat(undefined, { messages: [{ role: 'user', content: canary }] });
      assert.equal(none.status, 401);
      const ada = await modelKey('ada');
      const bob = await hire('bob');
      await firstAnswer(bob);
      const forged = await chat(ada.replace('ocfm_ada.', 'ocfm_bob.'), {
        messages: [{ role: 'user', content: canary }],
      });
      assert.equal(forged.status, 401);
    });

    it("refuses the old key after a rotation, and a retired agent's key", async () => {
      const old = await modelKey('ada');
      await publisher.emit('CredentialsRotationRequested', { agentId: 'ada', reason: 'test' });
      const fresh = await modelKey('ada', old);
      // The new key makes the gateway read the secret's current version again; from then on the old one is refused.
      assert.equal((await chat(fresh, { messages: [{ role: 'user', content: 'hi' }] })).status, 200);
      assert.equal((await chat(old, { messages: [{ role: 'user', content: 'hi' }] })).status, 401);

      await publisher.emit('AgentRetired', { agentId: 'ada' });
      await waitFor("the gateway to refuse the retired agent's key", async () => {
        const response = await chat(fresh, { messages: [{ role: 'user', content: canary }] });
        return response.status === 401 ? true : undefined;
      });
    });

    it('keeps keys and prompt text out of its logs', async () => {
      const keys = [await modelKey('bob')];
      const log = gateway.output.join('\n');
      assert.ok(log.includes('"message":"request"'), 'the gateway logged its requests');
      assert.equal(log.includes(canary), false, 'prompt text in the logs');
      for (const key of keys)
        assert.equal(log.includes(key.split('.').at(-1) ?? key), false, 'a key in the logs');
    });
  },
);
