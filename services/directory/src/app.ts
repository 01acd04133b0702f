import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createHttpApp, type ReadinessCheck } from '@ocf/http';
import type { Logger } from '@ocf/logging';
import { createAuthenticator, guardRoutes, type AgentTokenKeySource, type TokenStore } from './auth.ts';
import { isActive } from './domain/agent.ts';
import type { Directory } from './directory.ts';
import type { AgentStore } from './ports.ts';
import { agentRoutes } from './routes/agents.ts';
import { orgRoutes } from './routes/org.ts';

export interface AppDeps {
  readonly logger: Logger;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  readonly directory: Directory;
  readonly store: AgentStore;
  readonly tokens: TokenStore;
  /** Agents' own read tokens (ADR 0016); without it only operators' tokens are accepted. */
  readonly agentTokens?: { readonly environment: string; readonly key: AgentTokenKeySource };
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
  agentRoutes(app, deps);
  orgRoutes(app, deps);
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, () => app.swagger());
  return app;
}
