import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createHttpApp, type ReadinessCheck } from '@ocf/http';
import type { Logger } from '@ocf/logging';
import type { TokenStore } from './auth.ts';
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
          'Hire, query, update and retire the agents of the fleet. Mutating calls need a bearer token.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  agentRoutes(app, deps);
  orgRoutes(app, deps);
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  return app;
}
