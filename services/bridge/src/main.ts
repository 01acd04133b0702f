// Composition root of the bridge service: real adapters in, app and consumer out.
import { runService } from '@ocf/service';
import { buildApp } from './app.ts';
import { settings } from './config.ts';
import { createHandlers } from './handlers/index.ts';

await runService({
  name: 'bridge',
  settings,
  buildApp: ({ logger }, readiness) => buildApp({ logger, readiness }),
  createHandlers: () => createHandlers(),
});
