import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertHandlersMatchSubscriptions } from '@ocf/service';
import { bridgeHarness } from '../support/harness.ts';
import { createMemoryLogger } from '@ocf/logging';
import { createNaming } from '@ocf/naming';
import { createMemoryPublisher } from '@ocf/runtime';
import { createHandlers } from '../../src/handlers/index.ts';
import { withSleepScheduler } from '../../src/sleep/handlers.ts';
import { createSleepScheduler } from '../../src/sleep/scheduler.ts';
import { createMemoryActivityStore } from '../../src/sleep/store.ts';

describe('bridge handlers', () => {
  it('cover exactly what the routing sends to the bridge queue', () => {
    // The sleep scheduler's handlers (ADR 0018) are added to the bridge's own, as service.ts does.
    const scheduler = createSleepScheduler({
      store: createMemoryActivityStore(),
      publisher: createMemoryPublisher(),
      naming: createNaming({ serverName: 'fleet.test' }),
      settings: { idleTimeoutSeconds: 60, onDemandLevels: new Set(), awakeCap: 0 },
      logger: createMemoryLogger(),
      flushIntervalMs: 1000,
      checkIntervalMs: 1000,
      resyncIntervalMs: 600_000,
    });
    const handlers = withSleepScheduler(createHandlers(bridgeHarness().deps), scheduler);
    assert.deepEqual(Object.keys(handlers).sort(), [
      'AgentAsleep',
      'AgentAwake',
      'AgentBudgetExhausted',
      'AgentBudgetThresholdReached',
      'AgentHired',
      'AgentRetired',
      'AgentRunning',
      'AgentUpdated',
      'CredentialsIssued',
      'CredentialsRotated',
    ]);
    assert.doesNotThrow(() => {
      assertHandlersMatchSubscriptions('bridge', handlers);
    });
  });
});
