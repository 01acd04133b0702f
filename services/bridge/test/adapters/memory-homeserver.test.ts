import { describe } from 'node:test';
import { createMemoryHomeserver } from '../../src/adapters/memory-homeserver.ts';
import { homeserverContract } from '../support/homeserver-contract.ts';

describe('in-memory homeserver', () => {
  const homeserver = createMemoryHomeserver({ serverName: 'fleet.test' });
  let n = 0;
  homeserverContract(
    () => ({
      homeserver,
      serverName: 'fleet.test',
      tokenOwner: (token) => Promise.resolve(homeserver.whoami(token.reveal())),
    }),
    () => `contract-${++n}`,
  );
});
