import { describe } from 'node:test';
import { createMemoryAgentStateStore } from '../../src/adapters/memory-agent-state.ts';
import { agentStateStoreContract } from '../support/agent-state-store-contract.ts';

describe('in-memory agent state store', () => {
  const store = createMemoryAgentStateStore();
  let n = 0;
  agentStateStoreContract(
    () => store,
    () => `agent-${++n}`,
  );
});
