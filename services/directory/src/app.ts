import { fastifySSE } from '@fastify/sse';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createHttpApp, type ReadinessCheck } from '@ocf/http';
import type { Logger } from '@ocf/logging';
import { createAuthenticator, guardRoutes, type AgentTokenKeySource, type TokenStore } from './auth.ts';
import { isActive } from './domain/agent.ts';
import type { AgentChangeFeed } from './change-feed.ts';
import type { Directory } from './directory.ts';
import type { AgentStore } from './ports.ts';
import { agentRoutes } from './routes/agents.ts';
import { chatRoutes } from './routes/chat.ts';
import { consoleRoutes, type ConsoleRoutesDeps } from './routes/console.ts';
import type { Naming } from '@ocf/naming';
import { orgRoutes } from './routes/org.ts';
import { watchRoutes } from './routes/watch.ts';

export interface AppDeps {
  readonly logger: Logger;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  readonly directory: Directory;
  readonly store: AgentStore;
  readonly tokens: TokenStore;
  /** Every write to an agent, for watchers (GET /v1/watch/agents). */
  readonly changes: AgentChangeFeed;
  /** Agents' own read tokens (ADR 0016); without it only operators' tokens are accepted. */
  readonly agentTokens?: { readonly environment: string; readonly key: AgentTokenKeySource };
  /** The web console under /console (ADR 0025); without it, no console is served. */
  readonly console?: ConsoleRoutesDeps;
  /** The fleet's Matrix names, for GET /v1/agents/{id}/chat; without them that route is not served. */
  readonly naming?: Naming;
}

/** The directory's REST API (documented at /openapi.json). Never listens by itself. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createHttpApp({ service: 'directory', logger: deps.logger, readiness: deps.readiness });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Open-Claw-Fleet directory',
        version: '1.0.0',
        description:
          'Hire, query, update and retire the agents of the fleet. Every call needs a bearer token: scope `read` for queries, `write` for changes.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  const { agentTokens, store } = deps;
  guardRoutes(
    app,
    createAuthenticator(
      deps.tokens,
      agentTokens && {
        ...agentTokens,
        isActive: async (agentId) => {
          const agent = await store.get(agentId);
          return agent !== undefined && isActive(agent);
        },
      },
    ),
  );
  // Heartbeats keep idle watch streams open through load balancers (the ALB's idle timeout is 60 s).
  await app.register(fastifySSE, { heartbeatInterval: 20_000 });
  agentRoutes(app, deps);
  orgRoutes(app, deps);
  watchRoutes(app, deps);
  if (deps.console !== undefined) await consoleRoutes(app, deps.console);
  if (deps.naming !== undefined) chatRoutes(app, { directory: deps.directory, naming: deps.naming });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, () => app.swagger());
  return app;
}
