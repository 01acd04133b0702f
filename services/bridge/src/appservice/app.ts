import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { errorMessage } from '@ocf/errors';
import type { Logger } from '@ocf/logging';
import type { DedupeStore } from '@ocf/runtime';
import { mentionsIn, type Mention, type PushedEvent } from '../domain/mentions.ts';
import type { Naming } from '@ocf/naming';
import { presentedToken, tokenMatches } from './hs-token.ts';

export interface AppserviceAppDeps {
  /** The token the homeserver presents (the registration's `hs_token`). */
  readonly hsToken: string;
  readonly naming: Naming;
  /** Remembers handled transactions across restarts (the consumers' dedupe table). */
  readonly transactions: DedupeStore;
  readonly logger: Logger;
  /** Called for every agent a message mentions. */
  readonly onMention: (mention: Mention) => Promise<void>;
  /** Called for every pushed event, after its mentions: activity, direct chats, wakes (ADR 0018). */
  readonly onEvent?: ((event: PushedEvent) => Promise<void>) | undefined;
}

/** A transaction counts as in progress this long; then a retry of it may take over. */
const TRANSACTION_LEASE_MS = 60_000;

/**
 * The application-service endpoint: where the homeserver pushes every event the bridge's
 * namespace is interested in — every message in a room with an agent in it. Served on its own
 * port (the registration's `url`), apart from the health endpoints.
 *
 * Every request must carry the registration's `hs_token`, checked in constant time. The homeserver
 * sends a transaction until it gets a 200, and may send it again after one (if the answer was
 * lost): a transaction id handled before is answered 200 without being handled twice.
 */
export function buildAppserviceApp(deps: AppserviceAppDeps): FastifyInstance {
  const { logger } = deps;
  // Homeservers batch up to a hundred events per transaction; a few MiB covers large ones.
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });

  app.addHook('onRequest', async (request, reply) => {
    const token = presentedToken(request.headers.authorization, request.query);
    if (token === undefined) {
      return reply.status(401).send({ errcode: 'M_UNAUTHORIZED', error: 'No homeserver token given' });
    }
    if (!tokenMatches(deps.hsToken, token)) {
      logger.warn('application-service request with a wrong token refused', {
        url: request.url.split('?')[0],
      });
      return reply.status(403).send({ errcode: 'M_FORBIDDEN', error: 'Wrong homeserver token' });
    }
  });

  app.put<{ Params: { txnId: string }; Body: { events?: unknown } | undefined }>(
    '/_matrix/app/v1/transactions/:txnId',
    async (request, reply) => {
      const { txnId } = request.params;
      const body = request.body ?? {};
      const events = Array.isArray(body.events) ? (body.events as PushedEvent[]) : [];
      // Keyed by content as well as id: a homeserver whose database was reset counts from 1 again.
      const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
      const key = `bridge-appservice#${txnId}#${digest}`;

      const claim = await deps.transactions.claim(key, TRANSACTION_LEASE_MS);
      if (claim === 'completed') {
        logger.info('replayed transaction acknowledged without handling it again', { txnId });
        return reply.send({});
      }
      if (claim === 'in-progress') {
        return reply.status(503).send({ errcode: 'M_UNKNOWN', error: 'Transaction still being handled' });
      }
      try {
        for (const event of events) {
          for (const mention of mentionsIn(event, deps.naming)) await deps.onMention(mention);
          await deps.onEvent?.(event);
        }
      } catch (error) {
        await deps.transactions.release(key);
        logger.error('transaction failed; the homeserver will send it again', {
          txnId,
          error: errorMessage(error),
        });
        return reply.status(500).send({ errcode: 'M_UNKNOWN', error: 'Transaction failed' });
      }
      // Handled: a failure to record it must not fail the transaction, or the homeserver would
      // resend it and hold back every later push behind its back-off.
      await deps.transactions.complete(key).catch((error: unknown) => {
        logger.warn('could not record a handled transaction', { txnId, error: errorMessage(error) });
      });
      return reply.send({});
    },
  );

  // The bridge creates every agent itself; it invents none on demand.
  app.get('/_matrix/app/v1/users/:userId', (_request, reply) =>
    reply.status(404).send({ errcode: 'M_NOT_FOUND', error: 'No such user' }),
  );
  app.get('/_matrix/app/v1/rooms/:alias', (_request, reply) =>
    reply.status(404).send({ errcode: 'M_NOT_FOUND', error: 'No such room' }),
  );
  app.post('/_matrix/app/v1/ping', () => ({}));

  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }),
  );
  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500)
      logger.error('application-service request failed', { url: request.url.split('?')[0], error });
    return reply.status(status).send({
      errcode: status >= 500 ? 'M_UNKNOWN' : 'M_BAD_JSON',
      error: status >= 500 ? 'Internal error' : 'Bad request',
    });
  });
  return app;
}
