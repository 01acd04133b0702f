import { createMemoryLogger } from '@ocf/logging';
import { agentDirectoryToken, SecretText } from '@ocf/secrets';
import { createMemoryPublisher } from '@ocf/runtime';
import { createMemoryAgentStore } from '../src/adapters/memory-agent-store.ts';
import { buildApp } from '../src/app.ts';
import { createAgentChangeFeed } from '../src/change-feed.ts';
import { createMemoryTokenStore } from '../src/auth.ts';
import { createDirectory } from '../src/directory.ts';
import type { ConsoleRoutesDeps } from '../src/routes/console.ts';
import type { Naming } from '@ocf/naming';

/** The directory's app over in-memory adapters, with an operator's (write) and a read token. */
export async function testDirectory({
  watch = false,
  console,
  naming,
}: { readonly watch?: boolean; readonly console?: ConsoleRoutesDeps; readonly naming?: Naming } = {}) {
  const store = createMemoryAgentStore();
  const publisher = createMemoryPublisher();
  const logger = createMemoryLogger();
  const tokens = createMemoryTokenStore();
  const token = await tokens.create('test', 'write');
  const readToken = await tokens.create('reader', 'read');
  const agentTokenKey = new SecretText('test-agent-token-key-0123456789-abcdefghijk');
  const directory = createDirectory({ store, publisher, logger });
  const changes = createAgentChangeFeed({ store, logger, pollMs: 20, settleMs: 0 });
  // The change feed's loop keeps the process alive until it stops: only watch tests run it, and they close the app.
  if (watch) changes.loop.start();
  const app = await buildApp({
    changes,
    logger,
    readiness: {},
    directory,
    store,
    tokens,
    agentTokens: { environment: 'test', key: () => Promise.resolve(agentTokenKey) },
    ...(console === undefined ? {} : { console }),
    ...(naming === undefined ? {} : { naming }),
  });
  app.addHook('onClose', () => changes.loop.stop());
  const auth = { authorization: `Bearer ${token}` };
  const readAuth = { authorization: `Bearer ${readToken}` };
  /** The token the credentials service would put in this agent's secret. */
  const agentAuth = (agentId: string) => ({
    authorization: `Bearer ${agentDirectoryToken(agentTokenKey, 'test', agentId).reveal()}`,
  });
  const hire = (body: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/v1/agents', headers: auth, payload: body });
  return { app, store, publisher, logger, directory, changes, auth, readAuth, agentAuth, hire };
}

export const vp = {
  agentId: 'grace-hopper',
  name: 'Grace Hopper',
  title: 'VP Engineering',
  level: 'vp',
  department: 'Engineering',
  manager: 'ceo',
};
export const manager = {
  agentId: 'alan-turing',
  name: 'Alan Turing',
  title: 'Engineering Manager',
  level: 'manager',
  department: 'Engineering',
  team: 'Platform',
  manager: 'grace-hopper',
};
export const ic = {
  agentId: 'ada-lovelace',
  name: 'Ada Lovelace',
  title: 'Staff Engineer',
  level: 'ic',
  department: 'Engineering',
  team: 'Platform',
  manager: 'alan-turing',
};
