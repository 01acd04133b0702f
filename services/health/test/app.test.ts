import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryLogger } from '@ocf/logging';
import { buildApp } from '../src/app.ts';

describe('health app', () => {
  it('is alive, and ready only when its dependencies are', async () => {
    let queueUp = false;
    const app = buildApp({
      logger: createMemoryLogger(),
      readiness: { queue: () => (queueUp ? Promise.resolve() : Promise.reject(new Error('unreachable'))) },
    });
    assert.equal((await app.inject({ url: '/healthz' })).json<{ service: string }>().service, 'health');
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 503);
    queueUp = true;
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
  });
});
