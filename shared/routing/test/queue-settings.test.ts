import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveryPolicy } from '@ocf/runtime';
import { fleetRouting, SERVICE_NAMES } from '../src/index.ts';

describe('queue settings', () => {
  it('take the redrive from the delivery policy of the queue’s visibility timeout', () => {
    const routing = fleetRouting('local');
    for (const service of SERVICE_NAMES) {
      const queue = routing.queues[service];
      const policy = deliveryPolicy(queue.visibilityTimeoutSeconds);
      assert.equal(queue.maxReceiveCount, policy.maxReceiveCount);
      // A crash on the consumer's last attempt is still taken over before SQS redrives.
      assert.ok(policy.worstTakeoverAfterCrashOn(policy.maxAttempts) < queue.maxReceiveCount);
    }
  });
});
