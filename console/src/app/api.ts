import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { Agent } from './model.ts';

/**
 * The console talks to the directory it is served by (same origin), with the operator's API
 * token in the Authorization header: never in a URL, where proxies and access logs would keep it.
 * The token lives in sessionStorage: gone when the tab closes, never sent anywhere but here.
 */
const TOKEN_KEY = 'ocf.console.token';

export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The API answered 401: the token is missing, wrong or revoked. */
export class UnauthorisedError extends Error {}

export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One call to the directory; any answer comes back (the caller reads 400s), 401 throws. */
export async function call(token: string, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401) throw new UnauthorisedError('the API token was refused');
  const text = await response.text();
  return { status: response.status, body: parseBody(text) };
}

function parseBody(text: string): Record<string, unknown> {
  if (text === '') return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { message: text };
  }
}

/** Whether the directory accepts the token (a one-agent listing). */
export async function checkToken(token: string): Promise<'ok' | 'refused' | 'read-only'> {
  try {
    const answer = await call(token, 'GET', '/v1/agents?limit=1');
    return answer.status === 200 ? 'ok' : 'refused';
  } catch (error) {
    if (error instanceof UnauthorisedError) return 'refused';
    throw error;
  }
}

export interface WatchHandlers {
  readonly onAgent: (agent: Agent) => void;
  readonly onSynced: () => void;
}

/**
 * Follows GET /v1/watch/agents until the stream ends or `signal` aborts: the snapshot, `synced`,
 * then every change. EventSource cannot send an Authorization header, so this reads the stream
 * with fetch and parses the server-sent events itself.
 */
export async function watchAgents(
  token: string,
  handlers: WatchHandlers,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch('/v1/watch/agents', {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal,
  });
  if (response.status === 401) throw new UnauthorisedError('the API token was refused');
  if (!response.ok || response.body === null)
    throw new Error(`watching the agents failed: ${response.status}`);
  const events = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  const reader = events.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (value.event === 'agent') handlers.onAgent(JSON.parse(value.data) as Agent);
    else if (value.event === 'synced') handlers.onSynced();
  }
}
