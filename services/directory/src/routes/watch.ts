import { EventEmitter, on } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { SSEMessage } from '@fastify/sse';
import type { Logger } from '@ocf/logging';
import type { AgentChangeFeed } from '../change-feed.ts';
import type { Directory } from '../directory.ts';
import { seesInternals } from '../auth.ts';
import type { StoredAgent } from '../ports.ts';
import { errorView } from './schemas.ts';
import { agentView } from './views.ts';

export interface WatchRoutesDeps {
  readonly directory: Directory;
  readonly changes: AgentChangeFeed;
  readonly logger: Logger;
  /** Changes one watcher may fall behind by before it is cut off (it reconnects and starts afresh). */
  readonly maxBacklog?: number;
}

/** Agents read per page of the snapshot a new watcher starts from. */
const SNAPSHOT_PAGE = 500;

/**
 * GET /v1/watch/agents: the agents, then every change to them, as server-sent events — what a
 * status display follows instead of listing everyone every few seconds. A watcher gets one
 * `agent` event per agent (the snapshot), one `synced` event, then an `agent` event for every
 * write from then on. Each carries the agent as `GET /v1/agents/{id}` shows it, with its
 * `version`: an agent can come twice (a change made during the snapshot), and the higher version
 * wins. After a disconnect a watcher reconnects and gets a fresh snapshot: cheaper to reason
 * about than a resumable cursor, and the listing is paid once per connection, not per refresh.
 */
export function watchRoutes(app: FastifyInstance, deps: WatchRoutesDeps): void {
  const { directory, changes, logger } = deps;
  const maxBacklog = deps.maxBacklog ?? 10_000;
  const open = new Set<() => void>();
  // Watch streams never end by themselves; a stopping directory ends them so it can close.
  app.addHook('preClose', (done) => {
    for (const close of open) close();
    done();
  });

  app.get(
    '/v1/watch/agents',
    {
      sse: 'only',
      config: { access: 'read' },
      schema: {
        tags: ['agents'],
        security: [{ bearer: [] }],
        summary: 'Follow every agent as it changes (server-sent events)',
        description:
          'A `text/event-stream`: one `agent` event per agent, then `synced`, then an `agent` event per change. Each `agent` event carries the agent as GET /v1/agents/{agentId} shows it, with `version`; an agent may come twice and the higher version wins. Reconnect to start again from a fresh snapshot.',
        response: { 401: errorView, 403: errorView },
      },
    },
    async (request, reply) => {
      const internals = seesInternals(request);
      const toMessage = (agent: StoredAgent): SSEMessage => ({
        event: 'agent',
        data: agentView(agent, { internals }),
      });

      // Listen before the snapshot is read, so a change made meanwhile is not lost (it comes
      // again after the snapshot, and its version tells the watcher which is newer).
      const arrivals = new EventEmitter();
      const closed = new AbortController();
      let backlog = 0;
      const unsubscribe = changes.subscribe((agent) => {
        backlog++;
        if (backlog > maxBacklog) {
          logger.warn('a watcher fell too far behind; closing its stream', { backlog });
          close();
          return;
        }
        arrivals.emit('agent', agent);
      });
      const live = on(arrivals, 'agent', { signal: closed.signal });
      function close(): void {
        if (closed.signal.aborted) return;
        unsubscribe();
        closed.abort();
        open.delete(close);
        reply.sse.close();
      }
      open.add(close);
      reply.sse.onClose(close);
      reply.sse.keepAlive();

      async function* stream(): AsyncGenerator<SSEMessage> {
        let cursor: string | undefined;
        do {
          const page = await directory.list({}, { limit: SNAPSHOT_PAGE, cursor });
          for (const agent of page.items) yield toMessage(agent);
          cursor = page.cursor;
        } while (cursor !== undefined && !closed.signal.aborted);
        yield { event: 'synced', data: {} };
        try {
          for await (const [agent] of live) {
            backlog--;
            yield toMessage(agent as StoredAgent);
          }
        } catch (error) {
          if (!closed.signal.aborted) throw error;
        }
      }
      await reply.sse.send(stream());
    },
  );
}
