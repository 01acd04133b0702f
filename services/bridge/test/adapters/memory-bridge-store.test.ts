import { describe } from 'node:test';
import { createMemoryBridgeStore } from '../../src/adapters/memory-bridge-store.ts';
import { bridgeStoreContract } from '../support/bridge-store-contract.ts';

describe('in-memory bridge store', () => {
  const store = createMemoryBridgeStore();
  let n = 0;
  bridgeStoreContract(
    () => store,
    () => `agent-${++n}`,
  );
});
