import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@ocf/logging';
import type { CallOutcome } from '@ocf/metrics';
import { chatRequestSchema } from '../domain/openai.ts';
import { RefusedError, type Caller, type Gateway, type Refusal } from '../gateway.ts';

export interface ChatRouteDeps {
  readonly gateway: Gateway;
  readonly outcome: (outcome: CallOutcome) => void;
  readonly logger: Logger;
}

/** OpenAI's error body: what OpenAI-compatible clients (OpenClaw among them) read. */
function openAiError(
  reply: FastifyReply,
  status: number,
  type: string,
  message: string,
  extra: Record<string, unknown> = {},
) {
  return reply.status(status).send({ error: { message, type, code: extra['code'] ?? null, ...extra } });
}

function answerRefusal(reply: FastifyReply, refusal: Refusal) {
  switch (refusal.kind) {
    case 'unauthenticated':
      return openAiError(reply, 401, 'authentication_error', refusal.message, { code: 'invalid_api_key' });
    case 'invalid':
      return openAiError(reply, 400, 'invalid_request_error', refusal.message, { param: refusal.field });
    case 'rate-limited':
      reply.header('retry-after', String(Math.max(1, Math.ceil(refusal.retryAfterMs / 1000))));
      return openAiError(reply, 429, 'rate_limit_error', refusal.message, { code: 'rate_limit_exceeded' });
    case 'busy':
      reply.header('retry-after', '1');
      return openAiError(reply, 503, 'server_error', refusal.message, { code: 'upstream_busy' });
    case 'upstream':
      return openAiError(
        reply,
        refusal.status,
        refusal.status === 429 ? 'rate_limit_error' : 'api_error',
        refusal.message,
      );
  }
}

const OUTCOME: Record<Refusal['kind'], CallOutcome> = {
  unauthenticated: 'unauthenticated',
  invalid: 'upstream-failed',
  'rate-limited': 'rate-limited',
  busy: 'rate-limited',
  upstream: 'upstream-failed',
};

/**
 * `POST /v1/chat/completions`: OpenAI's chat completions, streamed (server-sent events) or not,
 * for agents holding a model key. The key is checked before the body is read; the body is
 * checked before anything is spent. Nothing of the request's content is ever logged.
 */
export function registerChatCompletions(app: FastifyInstance, deps: ChatRouteDeps): void {
  const callers = new WeakMap<FastifyRequest, Caller>();

  app.post(
    '/v1/chat/completions',
    {
      onRequest: async (request, reply) => {
        try {
          callers.set(request, await deps.gateway.authenticate(request.headers.authorization));
        } catch (error) {
          if (!(error instanceof RefusedError)) throw error;
          deps.outcome('unauthenticated');
          return answerRefusal(reply, error.refusal);
        }
      },
    },
    async (request, reply) => {
      const caller = callers.get(request);
      if (caller === undefined) throw new Error('no caller after authentication');
      const parsed = chatRequestSchema.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = ['body', ...(issue?.path.map(String) ?? [])].join('.');
        return openAiError(reply, 400, 'invalid_request_error', `${field}: ${issue?.message ?? 'invalid'}`, {
          param: field,
        });
      }
      // The agent hanging up stops the upstream call (and what it would still cost).
      const hangUp = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) hangUp.abort(new Error('the agent hung up'));
      });

      let result;
      try {
        result = await deps.gateway.call(caller, parsed.data, hangUp.signal);
      } catch (error) {
        if (!(error instanceof RefusedError)) throw error;
        deps.outcome(OUTCOME[error.refusal.kind]);
        deps.logger.info('call refused', { agentId: caller.agentId, refusal: error.refusal.kind });
        return answerRefusal(reply, error.refusal);
      }
      deps.outcome(result.outcome);
      if (result.kind === 'completion') return reply.send(result.completion);

      await reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      try {
        for await (const chunk of result.chunks) {
          if (raw.destroyed) break;
          raw.write(`data: ${JSON.stringify(chunk)}\n\n`);
        }
        if (!raw.destroyed) raw.end('data: [DONE]\n\n');
      } catch (error) {
        // The upstream broke off mid-stream: say so in the stream, then end it.
        deps.logger.warn('stream broke off', { agentId: caller.agentId, error: (error as Error).name });
        if (!raw.destroyed) {
          raw.end(
            `data: ${JSON.stringify({ error: { message: 'the model upstream broke off the answer', type: 'api_error' } })}\n\n`,
          );
        }
      }
      return reply;
    },
  );

  /** The fleet's model, for clients that list models first. */
  app.get(
    '/v1/models',
    {
      onRequest: async (request, reply) => {
        try {
          callers.set(request, await deps.gateway.authenticate(request.headers.authorization));
        } catch (error) {
          if (!(error instanceof RefusedError)) throw error;
          return answerRefusal(reply, error.refusal);
        }
      },
    },
    () => ({
      object: 'list',
      data: deps.gateway.models().map((id) => ({ id, object: 'model', owned_by: 'fleet' })),
    }),
  );
}
