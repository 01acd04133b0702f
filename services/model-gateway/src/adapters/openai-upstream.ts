import type { SecretText } from '@ocf/secrets';
import type { ChatCompletion, ChatCompletionChunk } from '../domain/openai.ts';
import { UpstreamError, type Upstream } from '../ports.ts';

export interface OpenAiUpstreamOptions {
  /** Ends in `/v1` (or wherever `/chat/completions` hangs off). */
  readonly baseUrl: string;
  readonly apiKey?: SecretText | undefined;
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * Any OpenAI-compatible endpoint. The request goes through as the agent sent it (the gateway has
 * only set the model and the output cap), streamed or not; a stream always asks for the usage
 * chunk, which is what the gateway meters (the route drops it again if the agent did not ask).
 */
export function createOpenAiUpstream(options: OpenAiUpstreamOptions): Upstream {
  const fetch = options.fetch ?? globalThis.fetch;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey !== undefined) headers['authorization'] = `Bearer ${options.apiKey.reveal()}`;

  async function post(body: unknown, signal: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
    } catch (error) {
      throw new UpstreamError(`the model upstream did not answer: ${(error as Error).name}`, {
        status: 502,
        cause: error,
      });
    }
    if (response.ok) return response;
    throw await upstreamErrorOf(response);
  }

  return {
    kind: 'openai-compatible',
    async complete({ request, signal }) {
      const response = await post({ ...request, stream: false }, signal);
      return (await response.json()) as ChatCompletion;
    },
    async stream({ request, signal }) {
      const response = await post(
        {
          ...request,
          stream: true,
          stream_options: { ...(request.stream_options ?? {}), include_usage: true },
        },
        signal,
      );
      if (response.body === null)
        throw new UpstreamError('the model upstream sent no stream', { status: 502 });
      return serverSentChunks(response.body);
    },
  };
}

/** The JSON of each `data:` event of a server-sent event stream, until `[DONE]`. */
export async function* serverSentChunks(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ChatCompletionChunk> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = eventEnd(buffer)) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^(\r?\n){1,2}/, '');
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data === '') continue;
      if (data === '[DONE]') return;
      yield JSON.parse(data) as ChatCompletionChunk;
    }
  }
}

function eventEnd(buffer: string): number {
  const lf = buffer.indexOf('\n\n');
  const crlf = buffer.indexOf('\r\n\r\n');
  if (lf < 0) return crlf;
  if (crlf < 0) return lf;
  return Math.min(lf, crlf);
}

async function upstreamErrorOf(response: Response): Promise<UpstreamError> {
  let detail = '';
  try {
    const body = (await response.json()) as { error?: { message?: unknown; code?: unknown } | string };
    const error = body.error;
    detail = typeof error === 'string' ? error : typeof error?.message === 'string' ? error.message : '';
  } catch {
    // Not JSON: the status says enough.
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return new UpstreamError(
    `the model upstream answered ${response.status}${detail === '' ? '' : `: ${detail.slice(0, 300)}`}`,
    {
      status: response.status,
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    },
  );
}
