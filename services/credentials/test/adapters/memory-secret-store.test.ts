import { describe } from 'node:test';
import { createMemorySecretStore } from '../../src/adapters/memory-secret-store.ts';
import { secretStoreContract } from '../support/secret-store-contract.ts';

describe('in-memory secret store', () => {
  const store = createMemorySecretStore();
  let n = 0;
  secretStoreContract(
    () => store,
    () => `ocf/contract/agents/agent-${++n}`,
  );
});
