import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertHandlersMatchSubscriptions } from '@ocf/service';
import { bridgeHarness } from '../support/harness.ts';
import { createHandlers } from '../../src/handlers/index.ts';

describe('bridge handlers', () => {
  it('cover exactly what the routing sends to the bridge queue', () => {
    const handlers = createHandlers(bridgeHarness().deps);
    assert.deepEqual(Object.keys(handlers).sort(), [
      'AgentBudgetExhausted',
      'AgentBudgetThresholdReached',
      'AgentHired',
      'AgentRetired',
      'AgentUpdated',
      'CredentialsIssued',
      'CredentialsRotated',
    ]);
    assert.doesNotThrow(() => {
      assertHandlersMatchSubscriptions('bridge', handlers);
    });
  });
});
