import { backoffDelayMs, sleep as realSleep, type BackoffPolicy, type Sleep } from '@ocf/runtime';
import { createTokenBucket, type TokenBucketPolicy } from './domain/token-bucket.ts';

export interface LaunchLimiterOptions {
  /** Fargate: a burst of 100 task launches, then 20 per second (per account and Region). */
  readonly bucket: TokenBucketPolicy;
  /** Back-off after the service throttled us anyway (another launcher shares the quota). */
  readonly throttleBackoff?: BackoffPolicy;
  readonly now?: () => number;
  readonly sleep?: Sleep;
}

/**
 * Paces task launches below the service's quota, so a burst of hires queues instead of failing:
 * `acquire` waits for a token; `throttled` (the service said slow down) empties the bucket and
 * waits a growing, jittered while before the caller tries again.
 */
export interface LaunchLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
  throttled(attempt: number, signal?: AbortSignal): Promise<void>;
}

export function createLaunchLimiter(options: LaunchLimiterOptions): LaunchLimiter {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const backoff = options.throttleBackoff ?? { baseMs: 1_000, maxMs: 30_000 };
  const bucket = createTokenBucket(options.bucket, now());
  return {
    async acquire(signal) {
      for (;;) {
        if (signal?.aborted === true) throw signal.reason;
        const wait = bucket.take(now());
        if (wait === 0) return;
        await sleep(wait, signal);
      }
    },
    async throttled(attempt, signal) {
      bucket.drain(now());
      // Never less than one refill interval: the bucket is empty now either way.
      await sleep(Math.max(backoffDelayMs(attempt, backoff), 1000 / options.bucket.refillPerSecond), signal);
    },
  };
}
