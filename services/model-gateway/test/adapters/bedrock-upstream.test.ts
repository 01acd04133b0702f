import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Http2Server, type Http2ServerRequest } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BedrockRuntimeClient, type ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import { chunksOf, converseInput, createBedrockUpstream } from '../../src/adapters/bedrock-upstream.ts';
import { streamOf, type ChatCompletionChunk, type ChatRequest } from '../../src/domain/openai.ts';
import { UpstreamError } from '../../src/ports.ts';
import { converseStreamEvent, converseStreamException } from '../support/event-stream.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/bedrock/${name}`, import.meta.url), 'utf8'));

/** What OpenClaw sends mid-turn: system prompt, a question, its tool call, the tool's result, tools. */
const REQUEST: ChatRequest = {
  model: 'anthropic.claude-sonnet-4-20250514-v1:0',
  max_tokens: 4096,
  temperature: 0.3,
  messages: [
    { role: 'system', content: 'You are Ada.' },
    { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
    { role: 'user', content: 'What is the launch codename?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_1',
          type: 'function',
          function: { name: 'memory_search', arguments: '{"query":"launch"}' },
        },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'PELICAN-1A2B3C' },
    { role: 'user', content: 'And the date?' },
  ],
  tools: [
    {
      type: 'function',
      function: {
        name: 'memory_search',
        description: 'Search memory',
        parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
      },
    },
  ],
};

/** The OpenAI chunks for `converse-stream-tool-use.json`: [delta, finish_reason, usage] of each. */
const TOOL_USE_STREAM_ROWS = [
  [{ role: 'assistant', content: '' }, null, null],
  [{ content: 'Let me ' }, null, null],
  [{ content: 'look.' }, null, null],
  [
    {
      tool_calls: [
        {
          index: 0,
          id: 'tooluse_Qm2bVYcyQ0G8a3S1x6gm4Q',
          type: 'function',
          function: { name: 'memory_search', arguments: '' },
        },
      ],
    },
    null,
    null,
  ],
  [{ tool_calls: [{ index: 0, function: { arguments: '{"query": ' } }] }, null, null],
  [{ tool_calls: [{ index: 0, function: { arguments: '"launch codename"}' } }] }, null, null],
  [{}, 'tool_calls', null],
  [null, null, { prompt_tokens: 2210, completion_tokens: 41, total_tokens: 2251 }],
];

const rowsOf = (chunks: readonly ChatCompletionChunk[]) =>
  chunks.map((c) => [c.choices[0]?.delta ?? null, c.choices[0]?.finish_reason ?? null, c.usage ?? null]);

describe('Bedrock Converse mapping', () => {
  it('maps an OpenAI request to Converse: system, alternating turns, tool use and result, tools, inference settings', () => {
    assert.deepEqual(converseInput(REQUEST), {
      modelId: 'anthropic.claude-sonnet-4-20250514-v1:0',
      system: [{ text: 'You are Ada.' }, { text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ text: 'What is the launch codename?' }] },
        {
          role: 'assistant',
          content: [{ toolUse: { toolUseId: 'call_1', name: 'memory_search', input: { query: 'launch' } } }],
        },
        {
          role: 'user',
          content: [
            { toolResult: { toolUseId: 'call_1', content: [{ text: 'PELICAN-1A2B3C' }] } },
            { text: 'And the date?' },
          ],
        },
      ],
      inferenceConfig: { maxTokens: 4096, temperature: 0.3 },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: 'memory_search',
              description: 'Search memory',
              inputSchema: {
                json: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
              },
            },
          },
        ],
      },
    });
  });

  it('maps a ConverseStream with text and a tool use to OpenAI chunks, usage last', async () => {
    const events = fixture('converse-stream-tool-use.json') as ConverseStreamOutput[];
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of chunksOf('m', streamOf(events), 'id', 1)) chunks.push(chunk);
    assert.deepEqual(rowsOf(chunks), TOOL_USE_STREAM_ROWS);
  });

  it('ends a stream whose source throws mid-way (the SDK throws an exception frame) with an UpstreamError', async () => {
    async function* throttledAfterStart(): AsyncGenerator<ConverseStreamOutput> {
      yield { messageStart: { role: 'assistant' } };
      await Promise.resolve(); // the next frame arrives, and it is an exception
      throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    }
    const iterate = async () => {
      for await (const _ of chunksOf('m', throttledAfterStart(), 'id', 1)) {
        // drain
      }
    };
    await assert.rejects(
      iterate,
      (error: unknown) => error instanceof UpstreamError && error.throttled && error.status === 429,
    );
  });
});

describe('Bedrock through the real SDK client (recorded Converse responses over HTTP)', () => {
  // The Bedrock runtime client speaks HTTP/2 (ConverseStream is an event stream over it): h2c here.
  let server: Http2Server;
  let client: BedrockRuntimeClient;
  const requests: { url: string; body: unknown }[] = [];
  /** What the server answers next: JSON, or raw bytes (an event stream). */
  const answers: { status: number; headers: Record<string, string>; body?: unknown; raw?: Buffer }[] = [];

  before(async () => {
    server = createServer((request: Http2ServerRequest, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        requests.push({ url: request.url, body: JSON.parse(body) as unknown });
        const answer = answers.shift() ?? { status: 500, headers: {}, body: {} };
        response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        response.end(answer.raw ?? JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });
  after(() => {
    client.destroy();
    server.close();
  });

  it('sends Converse to /model/<id>/converse and maps a text answer with its usage', async () => {
    answers.push({ status: 200, headers: {}, body: fixture('converse-text.json') });
    const upstream = createBedrockUpstream({ client, now: () => new Date(1_000_000) });
    const completion = await upstream.complete({ request: REQUEST, signal: new AbortController().signal });
    const sent = requests.at(-1);
    assert.ok(sent);
    assert.equal(sent.url, `/model/${encodeURIComponent(REQUEST.model)}/converse`);
    assert.deepEqual(
      sent.body,
      JSON.parse(JSON.stringify({ ...converseInput(REQUEST), modelId: undefined })),
    );
    const [choice] = completion.choices;
    assert.ok(choice);
    assert.equal(choice.message.content, 'The launch is on Tuesday.');
    assert.equal(choice.finish_reason, 'stop');
    assert.deepEqual(completion.usage, { prompt_tokens: 1830, completion_tokens: 9, total_tokens: 1839 });
  });

  it('maps a tool use answer to tool_calls', async () => {
    answers.push({ status: 200, headers: {}, body: fixture('converse-tool-use.json') });
    const upstream = createBedrockUpstream({ client });
    const completion = await upstream.complete({ request: REQUEST, signal: new AbortController().signal });
    const [choice] = completion.choices;
    assert.ok(choice);
    assert.deepEqual(choice.message, {
      role: 'assistant',
      content: 'Let me look that up.',
      tool_calls: [
        {
          id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q',
          type: 'function',
          function: { name: 'memory_search', arguments: '{"query":"launch codename"}' },
        },
      ],
    });
    assert.equal(choice.finish_reason, 'tool_calls');
  });

  it('turns ThrottlingException (HTTP 429) into a throttled UpstreamError, which the gateway backs off on', async () => {
    answers.push({
      status: 429,
      headers: {
        'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
      },
      body: fixture('throttling.json'),
    });
    const upstream = createBedrockUpstream({ client });
    await assert.rejects(
      upstream.complete({ request: REQUEST, signal: new AbortController().signal }),
      (error: unknown) =>
        error instanceof UpstreamError &&
        error.throttled &&
        error.status === 429 &&
        /ThrottlingException/.test(error.message),
    );
  });

  it('turns ValidationException into a plain 400', async () => {
    answers.push({
      status: 400,
      headers: { 'x-amzn-errortype': 'ValidationException' },
      body: { message: 'The model returned the following errors: messages: roles must alternate' },
    });
    const upstream = createBedrockUpstream({ client });
    await assert.rejects(
      upstream.complete({ request: REQUEST, signal: new AbortController().signal }),
      (error: unknown) => error instanceof UpstreamError && !error.throttled && error.status === 400,
    );
  });
  const EVENT_STREAM = { 'content-type': 'application/vnd.amazon.eventstream' };
  const drain = async (chunks: AsyncIterable<ChatCompletionChunk>) => {
    const seen: ChatCompletionChunk[] = [];
    for await (const chunk of chunks) seen.push(chunk);
    return seen;
  };

  it('sends ConverseStream to /model/<id>/converse-stream and maps the event-stream frames it gets back', async () => {
    const events = fixture('converse-stream-tool-use.json') as Record<string, unknown>[];
    answers.push({ status: 200, headers: EVENT_STREAM, raw: Buffer.concat(events.map(converseStreamEvent)) });
    const upstream = createBedrockUpstream({ client });
    const chunks = await drain(
      await upstream.stream({ request: REQUEST, signal: new AbortController().signal }),
    );
    assert.equal(requests.at(-1)?.url, `/model/${encodeURIComponent(REQUEST.model)}/converse-stream`);
    assert.deepEqual(rowsOf(chunks), TOOL_USE_STREAM_ROWS);
  });

  it('turns a throttlingException frame in the middle of a stream into a throttled UpstreamError', async () => {
    answers.push({
      status: 200,
      headers: EVENT_STREAM,
      raw: Buffer.concat([
        converseStreamEvent({ messageStart: { role: 'assistant' } }),
        converseStreamEvent({ contentBlockDelta: { delta: { text: 'Let me ' }, contentBlockIndex: 0 } }),
        converseStreamException('throttlingException', 'Too many tokens, please wait before trying again.'),
      ]),
    });
    const upstream = createBedrockUpstream({ client });
    const chunks = await upstream.stream({ request: REQUEST, signal: new AbortController().signal });
    await assert.rejects(
      drain(chunks),
      (error: unknown) =>
        error instanceof UpstreamError &&
        error.throttled &&
        error.status === 429 &&
        /ThrottlingException: Too many tokens/.test(error.message),
    );
  });

  it('turns a modelStreamErrorException frame into a 502 UpstreamError, not a throttle', async () => {
    answers.push({
      status: 200,
      headers: EVENT_STREAM,
      raw: Buffer.concat([
        converseStreamEvent({ messageStart: { role: 'assistant' } }),
        converseStreamException('modelStreamErrorException', 'The model stream failed.'),
      ]),
    });
    const upstream = createBedrockUpstream({ client });
    const chunks = await upstream.stream({ request: REQUEST, signal: new AbortController().signal });
    await assert.rejects(
      drain(chunks),
      (error: unknown) => error instanceof UpstreamError && !error.throttled && error.status === 502,
    );
  });
});
