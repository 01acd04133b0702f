import type { FastifyInstance } from 'fastify';
import { createHttpApp, type ReadinessCheck } from '@ocf/http';
import type { Logger } from '@ocf/logging';
import type { Reconciler } from './reconciler.ts';

export interface AppDeps {
  readonly logger: Logger;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  /** Its pass count is served at /v1/reconcile (the service runner starts and stops the loop). */
  readonly reconciler?: Pick<Reconciler, 'passes'>;
}

/** The provisioning service's HTTP side. Never listens by itself: the service runner (or a test's inject) drives it. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = createHttpApp({ service: 'provisioning', logger: deps.logger, readiness: deps.readiness });
  const { reconciler } = deps;
  if (reconciler !== undefined) {
    app.get('/v1/reconcile', () => ({ passes: reconciler.passes }));
  }
  return app;
}
