import { describe } from 'node:test';
import { createMemoryAgentStore } from '../src/adapters/memory-agent-store.ts';
import { agentStoreContract } from './support/agent-store-contract.ts';

describe('in-memory agent store', () => {
  agentStoreContract(() => Promise.resolve(createMemoryAgentStore()));
});
