import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_MODEL_MESSAGE, createNoUpstream } from '../src/adapters/no-upstream.ts';
import type { ChatCompletion, ChatCompletionChunk } from '../src/domain/openai.ts';
import { UpstreamError } from '../src/ports.ts';
import { gatewayHarness, sseData, textCompletion } from './support/harness.ts';

interface Answered {
  json(): unknown;
}
const errorOf = (response: Answered) =>
  (response.json() as { error: { message: string; type: string } }).error;
const completionOf = (response: Answered) => response.json() as ChatCompletion;
const textOf = (response: Answered) => completionOf(response).choices[0]?.message.content ?? '';

const chunk = (
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
): ChatCompletionChunk => ({
  id: 'chatcmpl-s',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'fake-model',
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const usageChunk = (prompt: number, completion: number): ChatCompletionChunk => ({
  id: 'chatcmpl-s',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'fake-model',
  choices: [],
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
});

describe('model keys', () => {
  it('answers 401 with no key, a foreign key, an edited key, a retired agent and a rotated key', async () => {
    const h = gatewayHarness();
    const ada = await h.hire('ada');
    await h.hire('bob');

    const none = await h.chat(undefined);
    assert.equal(none.statusCode, 401);
    assert.equal(errorOf(none).type, 'authentication_error');
    assert.match(errorOf(none).message, /no model key/);
    assert.equal((await h.chat('sk-not-ours')).statusCode, 401);
    // Ada's key edited to say bob: its MAC no longer fits, so it spends nothing for bob.
    const forged = await h.chat(ada.replace('ocfm_ada.', 'ocfm_bob.'));
    assert.equal(forged.statusCode, 401);
    assert.match(errorOf(forged).message, /not valid for agent bob/);
    assert.equal(h.upstream.calls.length, 0);

    assert.equal((await h.chat(ada)).statusCode, 200);
    assert.equal(h.usage.items.get('usage#agent#ada#2026-12')?.calls, 1);
    assert.equal(h.usage.items.get('usage#agent#bob#2026-12'), undefined, "ada's call is billed to ada");

    // A rotation makes a new current version: the old key is refused.
    h.versions.set('ada', { state: 'active', versionId: '11111111-0000-4000-8000-000000000000' });
    const rotated = await h.chat(ada);
    assert.equal(rotated.statusCode, 401);
    assert.match(errorOf(rotated).message, /replaced by a credential rotation/);

    // Retirement: the profile says so at once (AgentRetired), before the secret is even scheduled.
    const bob = await h.hire('bob-2');
    await h.handlers.AgentRetired(
      {
        type: 'AgentRetired',
        source: 'ocf.directory',
        data: { agentId: 'bob-2' },
        metadata: meta('2026-12-02T11:00:00.000Z'),
      },
      context(),
    );
    const retired = await h.chat(bob);
    assert.equal(retired.statusCode, 401);
    assert.match(errorOf(retired).message, /retired/);
    // And a secret scheduled for deletion is refused whatever the profile says.
    const carol = await h.hire('carol');
    h.versions.set('carol', { state: 'scheduled-for-deletion' });
    assert.equal((await h.chat(carol)).statusCode, 401);
  });

  it('checks the key before it reads the body', async () => {
    const h = gatewayHarness();
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    assert.equal(response.statusCode, 401);
  });
});

describe('chat completions', () => {
  it('passes a non-streamed call through with the fleet model and capped output, and meters it', async () => {
    const h = gatewayHarness({ settings: { model: 'fleet-model', maxOutputTokens: 500 } });
    const key = await h.hire('ada');
    h.upstream.next.push(() => textCompletion('Hello!', { prompt_tokens: 1200, completion_tokens: 30 }));
    const response = await h.chat(key, { max_tokens: 4000, temperature: 0.2 });
    assert.equal(response.statusCode, 200);
    const body = completionOf(response);
    assert.equal(body.choices[0]?.message.content, 'Hello!');
    assert.deepEqual(body.usage, { prompt_tokens: 1200, completion_tokens: 30, total_tokens: 1230 });
    assert.equal(body.model, 'fake-model', 'the agent sees the model it asked for');
    const [call] = h.upstream.calls;
    assert.ok(call);
    assert.equal(call.request.model, 'fleet-model');
    assert.equal(call.request.max_tokens, 500, 'capped at MODEL_MAX_OUTPUT_TOKENS');
    assert.equal(call.request.temperature, 0.2, 'everything else passes through');
    // fleet-model is not priced: the dear "*" price applies ($15 in, $75 out per million).
    assert.deepEqual(h.usage.items.get('usage#agent#ada#2026-12'), {
      calls: 1,
      tokensIn: 1200,
      tokensOut: 30,
      costMicro: 1200 * 15 + 30 * 75,
    });
    assert.equal(h.usage.items.get('usage#agent#ada#2026-12-02')?.calls, 1, 'the day too');
    assert.equal(h.usage.items.get('usage#department#Engineering#2026-12')?.calls, 1);
    assert.equal(h.usage.items.get('usage#fleet#2026-12')?.calls, 1);
  });

  it('streams chunks through as they come (text, tool calls), meters the usage chunk, and hides it unless asked', async () => {
    const h = gatewayHarness();
    const key = await h.hire('ada');
    const script = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Let me ' }),
      chunk({ content: 'look.' }),
      chunk({
        tool_calls: [
          { index: 0, id: 'call_1', type: 'function', function: { name: 'memory_search', arguments: '' } },
        ],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"query":"launch"}' } }] }),
      chunk({}, 'tool_calls'),
      usageChunk(2000, 40),
    ];
    h.upstream.next.push(() => script);
    const plain = await h.chat(key, { stream: true });
    assert.equal(plain.statusCode, 200);
    assert.match(String(plain.headers['content-type']), /^text\/event-stream/);
    const data = sseData(plain.body);
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as ChatCompletionChunk);
    assert.deepEqual(
      chunks.map((c) => c.choices),
      script.slice(0, -1).map((c) => c.choices),
      'every chunk, in order, unchanged',
    );
    assert.equal(
      chunks.some((c) => c.usage !== undefined),
      false,
      'no usage chunk: the agent did not ask',
    );
    assert.equal(h.upstream.calls[0]?.request.stream, true);
    assert.deepEqual(h.usage.items.get('usage#agent#ada#2026-12'), {
      calls: 1,
      tokensIn: 2000,
      tokensOut: 40,
      costMicro: 2000 * 1000 + 40 * 10_000,
    });

    h.upstream.next.push(() => script);
    const asked = await h.chat(key, { stream: true, stream_options: { include_usage: true } });
    const last = JSON.parse(sseData(asked.body).at(-2) ?? '{}') as ChatCompletionChunk;
    assert.deepEqual(last.usage, { prompt_tokens: 2000, completion_tokens: 40, total_tokens: 2040 });
  });

  it('answers 400 naming the field for a malformed request, and spends nothing', async () => {
    const h = gatewayHarness();
    const key = await h.hire('ada');
    const response = await h.chat(key, { messages: [{ role: 'wizard', content: 'hi' }] });
    assert.equal(response.statusCode, 400);
    assert.match(errorOf(response).message, /^body\.messages\.0\.role/);
    assert.equal(h.upstream.calls.length, 0);
  });

  it('with no model configured, answers every call with a message saying how to set one', async () => {
    const h = gatewayHarness({ upstream: createNoUpstream() });
    const key = await h.hire('ada');
    const plain = await h.chat(key);
    assert.equal(plain.statusCode, 200);
    assert.equal(textOf(plain), NO_MODEL_MESSAGE);
    assert.match(NO_MODEL_MESSAGE, /No model is configured for this fleet.*MODEL_UPSTREAM/);
    const streamed = await h.chat(key, { stream: true });
    const text = sseData(streamed.body)
      .slice(0, -1)
      .map((d) => (JSON.parse(d) as ChatCompletionChunk).choices[0]?.delta.content ?? '')
      .join('');
    assert.equal(text, NO_MODEL_MESSAGE);
    assert.equal(h.usage.items.get('usage#agent#ada#2026-12')?.costMicro, 0);
  });
});

describe('budgets', () => {
  it('tells the manager at 80%, refuses in words at 100%, and works again once raised', async () => {
    const h = gatewayHarness();
    // Each call: 100 in ($0.10) + 10 out ($0.10) = $0.20. Budget $0.50.
    const key = await h.hire('ada', { monthlyBudgetUsd: 0.5 });
    assert.equal((await h.chat(key)).statusCode, 200); // $0.20
    assert.equal((await h.chat(key)).statusCode, 200); // $0.40: 80%
    assert.deepEqual(
      h.published('AgentBudgetThresholdReached').map((e) => e.data),
      [
        {
          agentId: 'ada',
          managerId: 'grace',
          month: '2026-12',
          spentUsd: 0.4,
          budgetUsd: 0.5,
          thresholdPercent: 80,
        },
      ],
    );
    assert.equal((await h.chat(key)).statusCode, 200); // $0.60: admitted at $0.40, spent
    assert.deepEqual(
      h.published('AgentBudgetExhausted').map((e) => e.data),
      [
        {
          agentId: 'ada',
          managerId: 'grace',
          department: 'Engineering',
          month: '2026-12',
          scope: 'agent',
          spentUsd: 0.6,
          budgetUsd: 0.5,
        },
      ],
    );

    const refused = await h.chat(key);
    assert.equal(refused.statusCode, 200, 'an assistant reply, so the agent says it in chat');
    assert.match(textOf(refused), /monthly model budget for 2026-12 is spent \(\$0\.60 of \$0\.50\)/);
    assert.equal(h.upstream.calls.length, 3, 'the refused call never reached the model');
    const streamed = await h.chat(key, { stream: true });
    assert.match(sseData(streamed.body)[0] ?? '', /budget for 2026-12 is spent/);
    assert.equal(h.published('AgentBudgetExhausted').length, 1, 'announced once');
    assert.equal(h.published('AgentBudgetThresholdReached').length, 1, 'announced once');

    // Raised by PATCH: AgentUpdated reaches the handler, and the next call goes through.
    await h.handlers.AgentUpdated(
      {
        type: 'AgentUpdated',
        source: 'ocf.directory',
        data: { agentId: 'ada', changes: { monthlyBudgetUsd: 5 }, previous: { monthlyBudgetUsd: 0.5 } },
        metadata: meta('2026-12-02T12:00:00.000Z'),
      },
      context(),
    );
    const again = await h.chat(key);
    assert.equal(textOf(again), 'hello');
    assert.equal(h.upstream.calls.length, 4);
  });

  it('refuses at once under a budget of nothing, and announces it', async () => {
    const h = gatewayHarness();
    const key = await h.hire('ada', { monthlyBudgetUsd: 0 });
    const refused = await h.chat(key);
    assert.match(textOf(refused), /is spent \(\$0\.00 of \$0\.00\)/);
    assert.equal(h.upstream.calls.length, 0);
    assert.equal(h.published('AgentBudgetExhausted').length, 1);
  });

  it("applies the department's and the fleet's budgets too", async () => {
    const h = gatewayHarness({
      settings: { departmentBudgetsUsd: { Engineering: 0.3 }, fleetBudgetUsd: 10 },
    });
    const ada = await h.hire('ada');
    const alan = await h.hire('alan');
    await h.chat(ada);
    await h.chat(alan); // Engineering: $0.40 >= $0.30
    const refused = await h.chat(ada);
    assert.match(textOf(refused), /the Engineering department's monthly model budget/);
    assert.deepEqual(
      h.published('AgentBudgetExhausted').map((e) => [e.data.scope, e.data.agentId]),
      [['department', 'alan']],
    );
  });
});

describe('runaway protection', () => {
  it('refuses calls over the per-agent request rate with 429 and Retry-After', async () => {
    const h = gatewayHarness({ requestsPerMinute: 2 });
    const key = await h.hire('ada');
    assert.equal((await h.chat(key)).statusCode, 200);
    assert.equal((await h.chat(key)).statusCode, 200);
    const limited = await h.chat(key);
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.headers['retry-after'], '30');
    assert.equal(errorOf(limited).type, 'rate_limit_error');
    const other = await h.hire('bob');
    assert.equal((await h.chat(other)).statusCode, 200, 'per agent: bob is not limited by ada');
    h.clock.now = new Date(h.clock.now.getTime() + 30_000);
    assert.equal((await h.chat(key)).statusCode, 200, 'a bucket refills');
  });

  it('backs off when the upstream throttles and tries again, pausing the whole fleet', async () => {
    const h = gatewayHarness();
    const key = await h.hire('ada');
    const before = h.clock.now.getTime();
    h.upstream.next.push(
      () => new UpstreamError('Bedrock answered ThrottlingException', { status: 429 }),
      () => new UpstreamError('the model upstream answered 429', { status: 429, retryAfterMs: 2000 }),
    );
    const response = await h.chat(key);
    assert.equal(response.statusCode, 200);
    assert.equal(h.upstream.calls.length, 3);
    assert.ok(h.clock.now.getTime() - before >= 2000 + 50, 'waited out both back-offs');
    assert.equal(h.usage.items.get('usage#agent#ada#2026-12')?.calls, 1, 'one call metered');
  });

  it('pauses the whole fleet when a stream is throttled part-way, though that answer cannot be retried', async () => {
    const h = gatewayHarness();
    const key = await h.hire('ada');
    h.upstream.stream = () =>
      Promise.resolve(
        (async function* () {
          const chunk: ChatCompletionChunk = {
            id: 'chatcmpl-1',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'm',
            choices: [{ index: 0, delta: { content: 'Let me ' }, finish_reason: null }],
          };
          yield chunk;
          await Promise.resolve(); // the next frame arrives, and it is a throttle
          throw new UpstreamError('Bedrock answered ThrottlingException', { status: 429, throttled: true });
        })(),
      );
    const streamed = await h.chat(key, { stream: true });
    assert.match(streamed.body, /the model upstream broke off the answer/);
    const before = h.clock.now.getTime();
    assert.equal((await h.chat(key)).statusCode, 200);
    // The first back-off is at least half the base (100 ms in the harness), jitter on top.
    assert.ok(h.clock.now.getTime() - before >= 50, 'the next call waited out the back-off');
  });

  it('gives up after its attempts with a 429 the agent can read', async () => {
    const h = gatewayHarness();
    const key = await h.hire('ada');
    for (let i = 0; i < 3; i++)
      h.upstream.next.push(() => new UpstreamError('Bedrock answered ThrottlingException', { status: 429 }));
    const response = await h.chat(key);
    assert.equal(response.statusCode, 429);
    assert.match(errorOf(response).message, /ThrottlingException/);
    assert.equal(h.usage.items.get('usage#agent#ada#2026-12'), undefined, 'nothing metered');
  });

  it('refuses a fifth concurrent call of one agent', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = gatewayHarness({ maxInFlight: 2 });
    const key = await h.hire('ada');
    const slow = async () => {
      await gate;
      return textCompletion('slow');
    };
    const upstream = h.upstream;
    const original = upstream.complete.bind(upstream);
    upstream.complete = async (call) => {
      await slow();
      return original(call);
    };
    const first = h.chat(key);
    const second = h.chat(key);
    await new Promise((resolve) => setImmediate(resolve));
    const third = await h.chat(key);
    assert.equal(third.statusCode, 429);
    assert.match(errorOf(third).message, /already has 2 model calls running/);
    release();
    assert.equal((await first).statusCode, 200);
    assert.equal((await second).statusCode, 200);
  });
});

describe('usage reporting', () => {
  it('sends one ModelUsageReported per agent per interval, with month totals, and the metrics', async () => {
    const h = gatewayHarness();
    const ada = await h.hire('ada', { monthlyBudgetUsd: 50 });
    const bob = await h.hire('bob', { department: 'Finance' });
    for (let i = 0; i < 5; i++) await h.chat(ada);
    await h.chat(bob);
    await h.reporter.flush();
    const reports = h.published('ModelUsageReported').map((e) => e.data);
    assert.deepEqual(
      reports.map((r) => [r.agentId, r.calls, r.costUsd, r.monthlyBudgetUsd]),
      [
        ['ada', 5, 1, 50],
        ['bob', 1, 0.2, undefined],
      ],
    );
    const sum = (name: string, dims: Record<string, string>) =>
      h.metrics.datums
        .filter(
          (d) =>
            d.MetricName === name &&
            Object.entries(dims).every(([k, v]) => d.Dimensions.some((x) => x.Name === k && x.Value === v)),
        )
        .reduce((total, d) => total + d.Value, 0);
    assert.equal(sum('ModelTokens', { Direction: 'input' }), 600);
    assert.equal(sum('ModelCostByDepartment', { Department: 'Engineering' }), 1);
    assert.equal(sum('ModelCostByDepartment', { Department: 'Finance' }), 0.2);
    assert.equal(sum('ModelCalls', { Outcome: 'ok' }), 6);

    await h.reporter.flush();
    assert.equal(h.published('ModelUsageReported').length, 2, 'nothing new, nothing sent');
  });
});

describe('secrecy', () => {
  it('never logs a key or the prompt, on success and on every refusal', async () => {
    const h = gatewayHarness();
    const key = await h.hire('ada', { monthlyBudgetUsd: 0.2 });
    const canary = 'CANARY-PROMPT-7f3a9c';
    await h.chat(key, { messages: [{ role: 'user', content: canary }] });
    await h.chat(key, { messages: [{ role: 'user', content: canary }] }); // budget refusal
    await h.chat(key, { stream: true, messages: [{ role: 'user', content: canary }] });
    await h.chat(key.replace('ocfm_ada.', 'ocfm_bob.'), { messages: [{ role: 'user', content: canary }] });
    await h.chat(`${key}x`, { messages: [{ role: 'user', content: canary }] });
    await h.chat(key, { messages: [{ role: 'wizard', content: canary }] });
    h.upstream.next.push(
      () => new UpstreamError(`the model upstream answered 500: ${canary}`, { status: 500 }),
    );
    await h.change('ada', { monthlyBudgetUsd: 100 });
    await h.chat(key, { messages: [{ role: 'user', content: canary }] });
    await h.reporter.flush();
    const everything = JSON.stringify([h.logger.entries, h.publisher.published, h.metrics.datums]);
    assert.ok(h.logger.entries.length > 5, 'the paths logged');
    assert.equal(everything.includes(canary), false, 'prompt text escaped');
    const mac = key.split('.').at(-1) ?? '';
    assert.equal(everything.includes(mac), false, 'a key escaped');
  });
});

function meta(occurredAt: string) {
  return { eventId: `e-${occurredAt}`, correlationId: 'c', occurredAt, schemaVersion: 1 };
}

function context() {
  const noop = () => undefined;
  const logger = { debug: noop, info: noop, warn: noop, error: noop, with: () => logger };
  return {
    logger,
    signal: new AbortController().signal,
    receiveCount: 1,
    lastAttempt: false,
    emit: () => Promise.reject(new Error('not here')),
  } as never;
}
