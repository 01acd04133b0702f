import type { FastifyInstance } from 'fastify';
import { createHttpApp, type ReadinessCheck } from '@ocf/http';
import type { Logger } from '@ocf/logging';
import type { CallOutcome } from '@ocf/metrics';
import type { Gateway } from './gateway.ts';
import { registerChatCompletions } from './routes/chat-completions.ts';

export interface AppDeps {
  readonly logger: Logger;
  readonly gateway: Gateway;
  readonly outcome: (outcome: CallOutcome) => void;
  readonly maxRequestBytes: number;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
}

/** The model gateway's HTTP side. Never listens by itself: the service runner (or a test's inject) drives it. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = createHttpApp({
    service: 'model-gateway',
    logger: deps.logger,
    readiness: deps.readiness,
    bodyLimitBytes: deps.maxRequestBytes,
  });
  registerChatCompletions(app, { gateway: deps.gateway, outcome: deps.outcome, logger: deps.logger });
  return app;
}
