import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTokenBucket } from '../../src/domain/token-bucket.ts';

describe('token bucket', () => {
  it('allows a burst of its capacity, then its refill rate', () => {
    const bucket = createTokenBucket({ capacity: 100, refillPerSecond: 20 }, 0);
    for (let i = 0; i < 100; i++) assert.equal(bucket.take(0), 0, `token ${i + 1} of the burst`);
    assert.equal(bucket.take(0), 50, 'the 101st waits one refill interval');
    assert.equal(bucket.take(50), 0);
    assert.equal(bucket.take(50), 50);
    // A quiet second refills twenty, not more than the capacity over time.
    assert.equal(bucket.available(1050), 20);
    assert.equal(bucket.available(1_000_000), 100);
  });

  it('starts from empty after a drain', () => {
    const bucket = createTokenBucket({ capacity: 10, refillPerSecond: 2 }, 0);
    bucket.drain(0);
    assert.equal(bucket.take(0), 500);
    assert.equal(bucket.take(500), 0);
  });
});
