import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  deliveryPolicy,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  MIN_VISIBILITY_TIMEOUT_SECONDS,
  type DeliveryPolicy,
} from '../src/delivery.ts';

/**
 * A model of one crash, in milliseconds of true time: worker 1 receives the message on receive
 * `crashedOn`, claims it after `claimLatency`, renews visibility and lease `heartbeats` times
 * (each lease write `renewLatency` after its visibility call) and dies. The message reappears when
 * its visibility runs out; the next worker, whose clock is `skew` off, claims when the lease it
 * reads has ended by its own clock, or waits the in-progress retry delay and receives again.
 * Returns the receive on which the message is taken over.
 */
function takeoverReceive(
  policy: DeliveryPolicy,
  crash: { crashedOn: number; claimLatency: number; renewLatency: number; heartbeats: number; skew: number },
): number {
  const v = policy.visibilityTimeoutSeconds * 1000;
  let visibleAt = v;
  let leaseUntil = crash.claimLatency + policy.leaseMs;
  for (let beat = 1; beat <= crash.heartbeats; beat++) {
    const at = crash.claimLatency + beat * policy.heartbeatMs;
    visibleAt = at + v;
    leaseUntil = at + crash.renewLatency + policy.leaseMs;
  }
  let receive = crash.crashedOn + 1;
  let now = visibleAt;
  // The loop bound only keeps a broken policy from hanging the test.
  while (receive < crash.crashedOn + 100) {
    const takersClock = now + crash.skew;
    if (leaseUntil < takersClock) return receive;
    now += policy.inProgressRetrySeconds * 1000;
    receive++;
  }
  return receive;
}

const visibilityTimeout = fc.integer({
  min: MIN_VISIBILITY_TIMEOUT_SECONDS,
  max: MAX_VISIBILITY_TIMEOUT_SECONDS,
});

describe('delivery policy', () => {
  it('takes a dead worker’s message over before the queue can redrive it, with margin', () => {
    fc.assert(
      fc.property(
        visibilityTimeout.chain((seconds) => {
          const policy = deliveryPolicy(seconds);
          // What the policy promises to absorb: skew plus call latencies up to V - L in all.
          const allowance = seconds * 1000 - policy.leaseMs;
          return fc.record({
            policy: fc.constant(policy),
            crashedOn: fc.integer({ min: 1, max: policy.maxAttempts }),
            heartbeats: fc.integer({ min: 0, max: 50 }),
            split: fc.tuple(
              fc.double({ min: 0, max: 1, noNaN: true }),
              fc.double({ min: 0, max: 1, noNaN: true }),
            ),
            total: fc.integer({ min: 0, max: allowance }),
            skewSign: fc.constantFrom(-1, 1),
          });
        }),
        ({ policy, crashedOn, heartbeats, split, total, skewSign }) => {
          const [a, b] = split;
          const claimLatency = Math.floor((total * a) / 2);
          const renewLatency = Math.floor((total * b) / 2);
          const skew = skewSign * (total - claimLatency - renewLatency);
          const taken = takeoverReceive(policy, { crashedOn, claimLatency, renewLatency, heartbeats, skew });
          assert.ok(taken <= policy.worstTakeoverAfterCrashOn(crashedOn), `taken over on receive ${taken}`);
          // SQS redrives on the receive after maxReceiveCount; keep two receives to spare.
          assert.ok(taken <= policy.maxReceiveCount - 2, `receive ${taken} of ${policy.maxReceiveCount}`);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('takes over on the very first redelivery when clocks agree', () => {
    fc.assert(
      fc.property(visibilityTimeout, fc.integer({ min: 0, max: 50 }), (seconds, heartbeats) => {
        const policy = deliveryPolicy(seconds);
        const crash = { crashedOn: 1, claimLatency: 5, renewLatency: 5, heartbeats, skew: 0 };
        assert.equal(takeoverReceive(policy, crash), 2);
      }),
    );
  });

  it('lets a live worker keep its lease through two failed heartbeats', () => {
    fc.assert(
      fc.property(visibilityTimeout, (seconds) => {
        const policy = deliveryPolicy(seconds);
        assert.ok(policy.leaseMs >= 3 * policy.heartbeatMs);
        assert.ok(seconds * 1000 >= 6 * policy.heartbeatMs);
        assert.ok(policy.heartbeatMs >= 300, 'a heartbeat that does not hammer the queue');
      }),
    );
  });

  it('keeps a full run of retries inside the visibility cap and the retention', () => {
    const policy = deliveryPolicy(60);
    assert.ok(policy.retryBackoff.maxMs <= MAX_VISIBILITY_TIMEOUT_SECONDS * 1000);
    assert.ok(policy.maxAttempts * policy.retryBackoff.maxMs < 24 * 3600 * 1000);
    assert.ok(policy.maxAttempts < policy.maxReceiveCount);
  });

  it('refuses a visibility timeout it cannot fit', () => {
    for (const seconds of [0, 1, 2.5, MAX_VISIBILITY_TIMEOUT_SECONDS + 1]) {
      assert.throws(() => deliveryPolicy(seconds), RangeError);
    }
  });
});
