import type { FastifyInstance } from 'fastify';
import { createHttpApp, type ReadinessCheck } from '@ocf/http';
import type { Logger } from '@ocf/logging';

export interface AppDeps {
  readonly logger: Logger;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
}

/** The credentials service's HTTP side. Never listens by itself: the service runner (or a test's inject) drives it. */
export function buildApp(deps: AppDeps): FastifyInstance {
  return createHttpApp({ service: 'credentials', logger: deps.logger, readiness: deps.readiness });
}
