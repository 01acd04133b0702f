// Composition root of the directory service: real adapters in, app and consumer out.
import { runService } from '@ocf/service';
import { buildApp } from './app.ts';
import { settings } from './config.ts';
import { createHandlers } from './handlers/index.ts';

await runService({
  name: 'directory',
  settings,
  buildApp: ({ logger }, readiness) => buildApp({ logger, readiness }),
  createHandlers: () => createHandlers(),
});
