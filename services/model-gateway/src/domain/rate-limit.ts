/**
 * Per-agent rate limits against loops: requests per minute and tokens per minute, each a token
 * bucket that refills continuously. A request takes one request token before it starts; its
 * tokens are taken when the upstream says how many it used, so the token bucket may go into
 * debt, and the agent then waits until it is out of it. Pure apart from the clock it is given.
 */
export interface RateLimits {
  readonly requestsPerMinute: number;
  readonly tokensPerMinute: number;
}

interface Buckets {
  requests: number;
  tokens: number;
  at: number;
}

export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly limit: 'requests' | 'tokens' };

export function createRateLimiter(limits: RateLimits, now: () => number = Date.now) {
  const buckets = new Map<string, Buckets>();
  const perMs = {
    requests: limits.requestsPerMinute / 60_000,
    tokens: limits.tokensPerMinute / 60_000,
  };

  function current(agentId: string): Buckets {
    const t = now();
    const b = buckets.get(agentId) ?? {
      requests: limits.requestsPerMinute,
      tokens: limits.tokensPerMinute,
      at: t,
    };
    const elapsed = Math.max(0, t - b.at);
    b.requests = Math.min(limits.requestsPerMinute, b.requests + elapsed * perMs.requests);
    b.tokens = Math.min(limits.tokensPerMinute, b.tokens + elapsed * perMs.tokens);
    b.at = t;
    buckets.set(agentId, b);
    return b;
  }

  return {
    /** Before a call: one request, and the token bucket must not be in debt. */
    take(agentId: string): RateDecision {
      const b = current(agentId);
      if (b.requests < 1) {
        return {
          allowed: false,
          limit: 'requests',
          retryAfterMs: Math.ceil((1 - b.requests) / perMs.requests),
        };
      }
      if (b.tokens <= 0) {
        return { allowed: false, limit: 'tokens', retryAfterMs: Math.ceil((1 - b.tokens) / perMs.tokens) };
      }
      b.requests -= 1;
      return { allowed: true };
    },
    /** After a call: the tokens it used (possibly more than are left). */
    spend(agentId: string, tokens: number): void {
      current(agentId).tokens -= tokens;
    },
    /** Buckets that are full again carry no information: dropped so the map stays small. */
    prune(): void {
      for (const [agentId, b] of buckets) {
        const full = current(agentId);
        if (full.requests >= limits.requestsPerMinute && full.tokens >= limits.tokensPerMinute && b === full)
          buckets.delete(agentId);
      }
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
