import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for an OpenAI-compatible model endpoint: the only outside system the agent tests
 * replace (no model runs here). It answers chat completions, streamed or not, from a script the
 * test gives it, and records every request so tests can assert what the agent sent.
 */

export interface ChatMessage {
  readonly role: string;
  readonly content?: unknown;
  readonly tool_calls?: unknown;
  readonly tool_call_id?: string;
}

export interface ChatRequest {
  readonly model?: string;
  readonly stream?: boolean;
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly { function: { name: string } }[];
}

export type Reply =
  | { readonly text: string }
  | { readonly toolCall: { readonly name: string; readonly arguments: Record<string, unknown> } };

export type Script = (request: ChatRequest) => Reply;

export interface FakeOpenAI {
  /** The base URL to configure, ending in /v1. */
  readonly baseUrl: string;
  readonly requests: ChatRequest[];
  close(): Promise<void>;
}

export async function startFakeOpenAI(script: Script): Promise<FakeOpenAI> {
  const requests: ChatRequest[] = [];
  let counter = 0;

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    if (request.method === 'GET' && request.url?.endsWith('/models') === true) {
      json(response, { object: 'list', data: [{ id: 'fake-model', object: 'model', owned_by: 'tests' }] });
      return;
    }
    if (request.method !== 'POST' || request.url?.endsWith('/chat/completions') !== true) {
      response.writeHead(404).end();
      return;
    }
    const chat = JSON.parse(body) as ChatRequest;
    requests.push(chat);
    const reply = script(chat);
    // Debugging aid: every request and its reply, one JSON line each, to a file of your choosing.
    const dump = process.env['OCF_FAKE_LLM_DUMP'];
    if (dump !== undefined && dump !== '')
      appendFileSync(dump, `${JSON.stringify({ request: chat, reply })}\n`);
    const id = `chatcmpl-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const message =
      'text' in reply
        ? { role: 'assistant', content: reply.text }
        : {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                index: 0,
                id: `call_${counter}`,
                type: 'function',
                function: { name: reply.toolCall.name, arguments: JSON.stringify(reply.toolCall.arguments) },
              },
            ],
          };
    const finish = 'text' in reply ? 'stop' : 'tool_calls';
    const usage = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };

    if (chat.stream !== true) {
      json(response, {
        id,
        object: 'chat.completion',
        created,
        model: chat.model,
        choices: [{ index: 0, message, finish_reason: finish }],
        usage,
      });
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => {
      response.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: chat.model, choices, ...extra })}\n\n`,
      );
    };
    chunk([{ index: 0, delta: message, finish_reason: null }]);
    chunk([{ index: 0, delta: {}, finish_reason: finish }]);
    chunk([], { usage });
    response.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function json(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** The text of a message's content, whether a string or OpenAI's array of parts. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        const text =
          typeof part === 'object' && part !== null ? (part as { text?: unknown }).text : undefined;
        return typeof text === 'string' ? text : '';
      })
      .join('');
  }
  return '';
}

/** The system prompt of a request (OpenClaw sends one system message with the workspace files). */
export function systemPrompt(request: ChatRequest): string {
  return request.messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => textOf(m.content))
    .join('\n');
}

/**
 * The latest chat message the agent is answering, and the tool results it has gathered for it
 * since. OpenClaw sends the person's words as a plain-string user message and its own runtime
 * context as a separate one, so "latest user message" alone would find the wrong one.
 */
export function currentTurn(request: ChatRequest): { said: string; toolResults: string[] } {
  const messages = request.messages;
  let index = messages.length - 1;
  while (index >= 0 && !(messages[index]?.role === 'user' && typeof messages[index]?.content === 'string'))
    index--;
  const said = index >= 0 ? textOf(messages[index]?.content) : '';
  const toolResults = messages
    .slice(index + 1)
    .filter((m) => m.role === 'tool')
    .map((m) => textOf(m.content));
  return { said, toolResults };
}

/**
 * The person's own words in what `currentTurn` says: OpenClaw puts its inbound envelope (a time
 * stamp, "Conversation info" with a JSON block, now and then a "Runtime" line) around them, and a
 * mention of the agent in front. A script that echoes the envelope makes OpenClaw drop its reply as
 * leaked internal context ("did not produce a visible reply"): echo these instead.
 */
export function spokenWords(said: string): string {
  const fence = said.lastIndexOf('```\n\n');
  let words = fence < 0 ? said : said.slice(fence + 5);
  const runtime = words.indexOf('\n\nRuntime:');
  if (runtime >= 0) words = words.slice(0, runtime);
  return words.replace(/^(@\S+\s*)+/, '').trim();
}
