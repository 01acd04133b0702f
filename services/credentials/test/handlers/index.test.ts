import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertHandlersMatchSubscriptions } from '@ocf/service';
import { createMemoryTokenKey } from '../../src/adapters/agent-token-key.ts';
import { createMemorySecretStore } from '../../src/adapters/memory-secret-store.ts';
import { createHandlers } from '../../src/handlers/index.ts';

describe('credentials handlers', () => {
  it('cover exactly what the routing sends to the credentials queue', () => {
    const handlers = createHandlers({
      store: createMemorySecretStore(),
      agentTokenKey: createMemoryTokenKey(),
      modelKeyKey: createMemoryTokenKey(),
      environment: 'test',
      kmsKeyId: undefined,
      recoveryWindowDays: 7,
      now: () => new Date(),
      randomBytes: (size) => new Uint8Array(size),
    });
    assert.deepEqual(Object.keys(handlers).sort(), [
      'AgentHired',
      'AgentRetired',
      'CredentialsRotationRequested',
    ]);
    assert.doesNotThrow(() => {
      assertHandlersMatchSubscriptions('credentials', handlers);
    });
  });
});
