/**
 * A token bucket on an explicit clock (milliseconds), the shape of Fargate's task-launch quota:
 * a burst of `capacity`, then `refillPerSecond`. Pure: the caller says what time it is, so tests
 * drive it with a fake clock.
 */
export interface TokenBucketPolicy {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export interface TokenBucket {
  /** Takes a token if there is one and returns 0; otherwise returns how long until there is one. */
  take(nowMs: number): number;
  /** Empties the bucket: the service said we went too fast, so our count of its tokens is wrong. */
  drain(nowMs: number): void;
  available(nowMs: number): number;
}

export function createTokenBucket(policy: TokenBucketPolicy, startMs: number): TokenBucket {
  if (!(policy.capacity >= 1) || !(policy.refillPerSecond > 0)) {
    throw new Error('a token bucket needs a capacity >= 1 and a refill rate > 0');
  }
  let tokens = policy.capacity;
  let last = startMs;

  function refill(nowMs: number): void {
    if (nowMs <= last) return;
    tokens = Math.min(policy.capacity, tokens + ((nowMs - last) / 1000) * policy.refillPerSecond);
    last = nowMs;
  }

  return {
    take(nowMs) {
      refill(nowMs);
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - tokens) / policy.refillPerSecond) * 1000);
    },
    drain(nowMs) {
      refill(nowMs);
      tokens = 0;
    },
    available(nowMs) {
      refill(nowMs);
      return Math.floor(tokens);
    },
  };
}
