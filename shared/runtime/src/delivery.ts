import type { BackoffPolicy } from './backoff.ts';

/**
 * Every timing of a queue and its consumer, derived from one number: the queue's visibility
 * timeout V. The queue definition (shared/routing: VisibilityTimeout, maxReceiveCount) and the
 * consumer (heartbeat, dedupe lease, retry delays, attempts) both read it from here, so they
 * cannot drift apart.
 *
 * The arithmetic (V in seconds; a worker "dies" = SIGKILL, OOM, a lost host):
 *
 * - heartbeat H = V/6. While a handler runs, every H the worker pushes the message's visibility
 *   to now+V and its dedupe lease to now+L. With L = 3H a live worker keeps its lease through
 *   two failed heartbeats in a row (and its visibility through five); a worker that does lose
 *   its lease aborts its handler and leaves the message to whoever took it over.
 * - lease L = V/2. A dead worker's last renewal at t left visibility until t+V and the lease
 *   until t+L. The message reappears no earlier than t+V, by which time the lease has been over
 *   for V-L = V/2: that half of V absorbs clock skew between workers and the latency between
 *   the visibility call and the lease write. So the first redelivery after a crash takes over.
 * - in-progress retry R = V. Should a redelivery still meet a live-looking lease (skew beyond
 *   V/2, or a worker that is alive but whose visibility renewal failed), it waits R: every lease
 *   ever written lapses within L of its write, plus the same skew allowance V-L, so after R = V
 *   the next receive takes over. Hence a crash costs at most 2 receives (the crashed one and one
 *   "in-progress" one); the lease does not count attempts, it is measured in time.
 * - attempts A = 8: on the A-th receive a retryable failure goes to the DLQ *with its reason*
 *   (the consumer's decision). A crash on any receive k <= A is taken over by receive k+2 at the
 *   latest, so SQS's own redrive (which attaches no reason) must not fire before A+2.
 * - maxReceiveCount = A + 2 + MARGIN (MARGIN = 2): the redrive is only the safety net for a
 *   message that kills every consumer that touches it (a poison pill), never for a dead worker.
 *   A dead worker's message on its first delivery is taken over by receive 2 (3 at worst),
 *   against a redrive after receive 12.
 * - retry back-off: full jitter, capped at 15 minutes, and A x cap = 2 h, far inside the queue's
 *   4-day retention and SQS's 12-hour visibility cap.
 */
export interface DeliveryPolicy {
  readonly visibilityTimeoutSeconds: number;
  readonly heartbeatMs: number;
  readonly leaseMs: number;
  /** How long a message that met another worker's live lease stays hidden. */
  readonly inProgressRetrySeconds: number;
  /** Receives after which the consumer dead-letters a retryable failure, with its reason. */
  readonly maxAttempts: number;
  /** The queue's redrive: receives after which SQS moves a message to the DLQ by itself. */
  readonly maxReceiveCount: number;
  /** Worst receive on which a message whose worker died on receive `k` is taken over: k + 2. */
  readonly worstTakeoverAfterCrashOn: (k: number) => number;
  readonly retryBackoff: BackoffPolicy;
}

/** Bounds on V: a heartbeat of at least a third of a second (tests use V = 2), and SQS's 12-hour cap. */
export const MIN_VISIBILITY_TIMEOUT_SECONDS = 2;
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 3600;
const ATTEMPTS = 8;
const RECEIVES_A_CRASH_COSTS = 2;
const REDRIVE_MARGIN = 2;

export function deliveryPolicy(visibilityTimeoutSeconds: number): DeliveryPolicy {
  const v = visibilityTimeoutSeconds;
  if (!Number.isInteger(v) || v < MIN_VISIBILITY_TIMEOUT_SECONDS || v > MAX_VISIBILITY_TIMEOUT_SECONDS) {
    throw new RangeError(
      `visibility timeout must be a whole number of seconds in ` +
        `${MIN_VISIBILITY_TIMEOUT_SECONDS}..${MAX_VISIBILITY_TIMEOUT_SECONDS}, got ${v}`,
    );
  }
  return {
    visibilityTimeoutSeconds: v,
    heartbeatMs: (v * 1000) / 6,
    leaseMs: (v * 1000) / 2,
    inProgressRetrySeconds: v,
    maxAttempts: ATTEMPTS,
    maxReceiveCount: ATTEMPTS + RECEIVES_A_CRASH_COSTS + REDRIVE_MARGIN,
    worstTakeoverAfterCrashOn: (k) => k + RECEIVES_A_CRASH_COSTS,
    retryBackoff: { baseMs: 2_000, maxMs: 15 * 60_000 },
  };
}
