import { MatrixError } from 'matrix-bot-sdk';
import { sleep as defaultSleep, type Sleep } from '@ocf/runtime';
import { HomeserverError } from '../ports.ts';

/**
 * Sorts a failed homeserver call into what the handlers can act on:
 * - rate limited (M_LIMIT_EXCEEDED, 429), a conflict with a concurrent request (409), a 5xx, or
 *   no answer at all (refused, reset, timed out): may pass — retryable, so the consumer backs off
 *   and tries the event again;
 * - any other answer (403 M_FORBIDDEN, 400 M_ROOM_IN_USE, 404 M_NOT_FOUND, ...): the homeserver
 *   understood and refused; asking again cannot change that — not retryable. Callers that expect
 *   one of these (a missing alias, a taken one) look at `errcode`.
 *
 * Messages name the operation and the Matrix error, never request bodies: those carry passwords.
 */
export function toHomeserverError(operation: string, error: unknown): HomeserverError {
  if (error instanceof HomeserverError) return error;
  if (error instanceof MatrixError) {
    const retryable =
      error.errcode === 'M_LIMIT_EXCEEDED' ||
      error.statusCode === 429 ||
      error.statusCode === 409 ||
      error.statusCode >= 500;
    return new HomeserverError(`${operation} failed: ${error.statusCode} ${error.errcode}: ${error.error}`, {
      retryable,
      errcode: error.errcode,
      status: error.statusCode,
      cause: error,
    });
  }
  const status = statusOf(error);
  if (status !== undefined) {
    // matrix-bot-sdk throws the bare response when a non-2xx answer has no Matrix error body
    // (a proxy's 502 page, say).
    return new HomeserverError(`${operation} failed: HTTP ${status}`, {
      retryable: status === 429 || status === 409 || status >= 500,
      status,
      cause: error,
    });
  }
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new HomeserverError(`${operation} failed: no answer from the homeserver (${detail})`, {
    retryable: true,
    cause: error,
  });
}

/** How long the homeserver asked us to wait, when it rate-limited the call. */
export function rateLimitDelayMs(error: unknown): number | undefined {
  if (!(error instanceof MatrixError)) return undefined;
  if (error.errcode !== 'M_LIMIT_EXCEEDED' && error.statusCode !== 429) return undefined;
  // retry_after_ms is optional; a second is what clients commonly assume without it.
  return error.retryAfterMs ?? 1_000;
}

export interface CallPolicy {
  /**
   * The longest a single call waits out rate limits in total before giving up to the consumer's
   * back-off (which frees the worker for other events meanwhile).
   */
  readonly maxRateLimitWaitMs: number;
  readonly sleep?: Sleep;
}

/**
 * Runs one homeserver call: waits out M_LIMIT_EXCEEDED for as long as the homeserver says (within
 * `maxRateLimitWaitMs`), and turns every failure into a HomeserverError.
 */
export async function callHomeserver<T>(
  operation: string,
  call: () => Promise<T>,
  policy: CallPolicy,
): Promise<T> {
  const sleep = policy.sleep ?? defaultSleep;
  let waitedMs = 0;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const delayMs = rateLimitDelayMs(error);
      if (delayMs === undefined || waitedMs + delayMs > policy.maxRateLimitWaitMs) {
        throw toHomeserverError(operation, error);
      }
      await sleep(delayMs);
      waitedMs += delayMs;
    }
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
