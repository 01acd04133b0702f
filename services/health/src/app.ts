import type { FastifyInstance } from 'fastify';
import { createHttpApp, type ReadinessCheck } from '@ocf/http';
import type { Logger } from '@ocf/logging';

export interface AppDeps {
  readonly logger: Logger;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  /** Started when the app is ready, stopped when it closes (after the consumer). */
  readonly background?: readonly { start(): void; stop(): Promise<void> }[];
}

/** The health service's HTTP side. Never listens by itself: main.ts (or a test's inject) drives it. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = createHttpApp({ service: 'health', logger: deps.logger, readiness: deps.readiness });
  const background = deps.background ?? [];
  app.addHook('onReady', (done) => {
    for (const part of background) part.start();
    done();
  });
  app.addHook('onClose', async () => {
    for (const part of [...background].reverse()) await part.stop();
  });
  return app;
}
