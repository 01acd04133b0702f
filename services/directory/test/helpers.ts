import { createMemoryLogger } from '@ocf/logging';
import { createMemoryPublisher } from '@ocf/runtime';
import { createMemoryAgentStore } from '../src/adapters/memory-agent-store.ts';
import { buildApp } from '../src/app.ts';
import { createMemoryTokenStore } from '../src/auth.ts';
import { createDirectory } from '../src/directory.ts';

/** The directory's app over in-memory adapters, with a valid token for mutating calls. */
export async function testDirectory() {
  const store = createMemoryAgentStore();
  const publisher = createMemoryPublisher();
  const logger = createMemoryLogger();
  const tokens = createMemoryTokenStore();
  const token = await tokens.create('test');
  const directory = createDirectory({ store, publisher, logger });
  const app = await buildApp({ logger, readiness: {}, directory, store, tokens });
  const auth = { authorization: `Bearer ${token}` };
  const hire = (body: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/v1/agents', headers: auth, payload: body });
  return { app, store, publisher, logger, directory, auth, hire };
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
