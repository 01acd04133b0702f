import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryLogger } from '@ocf/logging';
import { buildApp } from '../src/app.ts';
import { provisioningHarness } from './support/harness.ts';

describe('provisioning app', () => {
  it('is alive, and ready only when its dependencies are', async () => {
    let queueUp = false;
    const app = buildApp({
      logger: createMemoryLogger(),
      readiness: { queue: () => (queueUp ? Promise.resolve() : Promise.reject(new Error('unreachable'))) },
    });
    assert.equal((await app.inject({ url: '/healthz' })).json<{ service: string }>().service, 'provisioning');
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 503);
    queueUp = true;
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
  });

  it('reports the passes of the reconcile loop the service runs', async () => {
    const h = provisioningHarness();
    await h.hireReady('ada');
    const app = buildApp({ logger: createMemoryLogger(), readiness: {}, reconciler: h.reconciler });
    // As the service runner does: the loop starts with the service and stops with it.
    h.reconciler.start();
    try {
      for (let i = 0; i < 100 && h.reconciler.passes === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(h.tasks.running('ada').length, 1, 'the first pass runs at start');
      assert.deepEqual((await app.inject({ url: '/v1/reconcile' })).json(), { passes: 1 });
    } finally {
      await h.reconciler.stop();
      await app.close();
    }
  });
});
