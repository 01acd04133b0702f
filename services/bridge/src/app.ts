import type { FastifyInstance } from 'fastify';
import { createHttpApp, type ReadinessCheck } from '@ocf/http';
import type { Logger } from '@ocf/logging';

export interface AppDeps {
  readonly logger: Logger;
  /** The queue and dedupe table (from startService), the homeserver and the bridge's table. */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
}

/** The bridge service's HTTP side. Never listens by itself: the service runner (or a test's inject) drives it. */
export function buildApp(deps: AppDeps): FastifyInstance {
  return createHttpApp({ service: 'bridge', logger: deps.logger, readiness: deps.readiness });
}
