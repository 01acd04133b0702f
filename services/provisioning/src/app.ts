import type { FastifyInstance } from 'fastify';
import { createHttpApp, type ReadinessCheck } from '@ocf/http';
import type { Logger } from '@ocf/logging';
import type { Reconciler } from './reconciler.ts';

export interface AppDeps {
  readonly logger: Logger;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  /** Started when the app is ready, stopped when it closes (after the consumer). */
  readonly reconciler?: Reconciler;
}

/** The provisioning service's HTTP side. Never listens by itself: main.ts (or a test's inject) drives it. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = createHttpApp({ service: 'provisioning', logger: deps.logger, readiness: deps.readiness });
  const { reconciler } = deps;
  if (reconciler !== undefined) {
    app.addHook('onReady', (done) => {
      reconciler.start();
      done();
    });
    app.addHook('onClose', async () => {
      await reconciler.stop();
    });
    app.get('/v1/reconcile', () => ({ passes: reconciler.passes }));
  }
  return app;
}
