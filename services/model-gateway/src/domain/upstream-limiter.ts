import { sleep as defaultSleep, type Sleep } from '@ocf/runtime';

/**
 * The fleet's calls towards the upstream: at most `maxConcurrent` at once, the rest wait in line
 * (first come, first served) up to `maxWaiting`; beyond that a call is refused at once rather than
 * piling up. When the upstream throttles (Bedrock's ThrottlingException, an HTTP 429), every call
 * pauses: nobody starts until the pause is over, so a throttled upstream gets breathing room
 * from the whole fleet instead of a retry storm.
 */
export interface UpstreamLimiterOptions {
  readonly maxConcurrent: number;
  readonly maxWaiting: number;
  readonly now?: () => number;
  readonly sleep?: Sleep;
}

export class UpstreamBusyError extends Error {
  readonly code = 'UPSTREAM_BUSY';
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamBusyError';
  }
}

export function createUpstreamLimiter(options: UpstreamLimiterOptions) {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  let running = 0;
  let pausedUntil = 0;
  const waiting: (() => void)[] = [];

  function release(): void {
    running--;
    const next = waiting.shift();
    if (next !== undefined) {
      running++;
      next();
    }
  }

  return {
    /** Waits for a place (and for any pause to end); resolves with its release, to call exactly once. */
    async acquire(signal?: AbortSignal): Promise<() => void> {
      if (running < options.maxConcurrent && waiting.length === 0) {
        running++;
      } else {
        if (waiting.length >= options.maxWaiting) {
          throw new UpstreamBusyError(
            `the fleet's model upstream is at its limit (${options.maxConcurrent} calls at once, ${options.maxWaiting} waiting); try again shortly`,
          );
        }
        await new Promise<void>((resolve, reject) => {
          const entry = (): void => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          };
          const onAbort = (): void => {
            const index = waiting.indexOf(entry);
            if (index >= 0) waiting.splice(index, 1);
            reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          waiting.push(entry);
        });
      }
      // Holding a place, wait out a pause the upstream asked for.
      while (pausedUntil > now()) {
        try {
          await sleep(pausedUntil - now(), signal);
        } catch (error) {
          release();
          throw error;
        }
        if (signal?.aborted === true) {
          release();
          throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
        }
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release();
      };
    },
    /** The upstream throttled: nobody starts a call for `ms`. */
    pause(ms: number): void {
      pausedUntil = Math.max(pausedUntil, now() + ms);
    },
    stats: () => ({ running, waiting: waiting.length, pausedForMs: Math.max(0, pausedUntil - now()) }),
  };
}

export type UpstreamLimiter = ReturnType<typeof createUpstreamLimiter>;

/** Back-off before retry `attempt` (1-based) after a throttle: exponential, full jitter, capped. */
export function throttleBackoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
