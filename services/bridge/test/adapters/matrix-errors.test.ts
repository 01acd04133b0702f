import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MatrixError } from 'matrix-bot-sdk';
import { callHomeserver, toHomeserverError } from '../../src/adapters/matrix-errors.ts';
import { HomeserverError } from '../../src/ports.ts';

const matrixError = (status: number, errcode: string, retryAfterMs?: number) =>
  new MatrixError(
    {
      errcode,
      error: `${errcode} happened`,
      ...(retryAfterMs === undefined ? {} : { retry_after_ms: retryAfterMs }),
    },
    status,
  );

describe('homeserver errors', () => {
  it('are worth a retry when rate limited, a 5xx, or unanswered', () => {
    const transient = [
      matrixError(429, 'M_LIMIT_EXCEEDED', 500),
      matrixError(500, 'M_UNKNOWN'),
      matrixError(502, 'M_UNKNOWN'),
      matrixError(409, 'M_UNKNOWN'),
      { statusCode: 503, body: '<html>Bad gateway</html>' },
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8008'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    ];
    for (const error of transient) {
      const mapped = toHomeserverError('join @agent-ada:hs', error);
      assert.equal(mapped.retryable, true, JSON.stringify(error));
      assert.equal(mapped.code, 'HOMESERVER_UNAVAILABLE');
    }
  });

  it('are final when the homeserver understood and refused, keeping its error code', () => {
    for (const [status, errcode] of [
      [403, 'M_FORBIDDEN'],
      [400, 'M_ROOM_IN_USE'],
      [404, 'M_NOT_FOUND'],
      [400, 'M_BAD_JSON'],
    ] as const) {
      const mapped = toHomeserverError('create #all-employees', matrixError(status, errcode));
      assert.equal(mapped.retryable, false, errcode);
      assert.equal(mapped.errcode, errcode);
      assert.equal(mapped.status, status);
      assert.equal(mapped.message, `create #all-employees failed: ${status} ${errcode}: ${errcode} happened`);
    }
    assert.equal(toHomeserverError('x', { statusCode: 401 }).retryable, false);
  });
});

describe('a homeserver call', () => {
  it('waits out M_LIMIT_EXCEEDED as long as the homeserver asks, then succeeds', async () => {
    const waits: number[] = [];
    let attempts = 0;
    const result = await callHomeserver(
      'invite',
      () =>
        ++attempts < 3 ? Promise.reject(matrixError(429, 'M_LIMIT_EXCEEDED', 1500)) : Promise.resolve('ok'),
      { maxRateLimitWaitMs: 10_000, sleep: (ms) => (waits.push(ms), Promise.resolve()) },
    );
    assert.equal(result, 'ok');
    assert.deepEqual(waits, [1500, 1500]);
  });

  it('assumes a second when the homeserver does not say how long', async () => {
    const waits: number[] = [];
    let attempts = 0;
    await callHomeserver(
      'invite',
      () => (++attempts < 2 ? Promise.reject(matrixError(429, 'M_LIMIT_EXCEEDED')) : Promise.resolve()),
      { maxRateLimitWaitMs: 10_000, sleep: (ms) => (waits.push(ms), Promise.resolve()) },
    );
    assert.deepEqual(waits, [1000]);
  });

  it('hands a long rate limit to the consumer as a retryable failure instead of holding the worker', async () => {
    const waits: number[] = [];
    await assert.rejects(
      callHomeserver('invite', () => Promise.reject(matrixError(429, 'M_LIMIT_EXCEEDED', 4000)), {
        maxRateLimitWaitMs: 10_000,
        sleep: (ms) => (waits.push(ms), Promise.resolve()),
      }),
      (error: unknown) =>
        error instanceof HomeserverError && error.retryable && error.errcode === 'M_LIMIT_EXCEEDED',
    );
    assert.deepEqual(waits, [4000, 4000]);
  });

  it('does not retry anything else by itself', async () => {
    let attempts = 0;
    await assert.rejects(
      callHomeserver('join', () => (attempts++, Promise.reject(matrixError(502, 'M_UNKNOWN'))), {
        maxRateLimitWaitMs: 10_000,
        sleep: () => Promise.resolve(),
      }),
      (error: unknown) => error instanceof HomeserverError && error.retryable,
    );
    assert.equal(attempts, 1, 'the consumer backs off; the call does not spin');
  });
});
