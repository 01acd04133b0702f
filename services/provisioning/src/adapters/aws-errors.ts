import { TaskRunnerError } from '../ports.ts';

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ThrottledException',
]);

const TRANSIENT = new Set([
  'ServerException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
]);

interface AwsErrorShape {
  name?: unknown;
  $fault?: unknown;
  $retryable?: { throttling?: boolean } | undefined;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Sorts a failed AWS call (ECS, EFS) for the reconciler: throttled (slow down and try again),
 * transient (a 5xx, no answer: try again later), or permanent (an invalid parameter, access
 * denied, a missing cluster: trying again cannot help; it is reported). The message names the
 * operation and the agent, and never carries request parameters.
 */
export function toTaskRunnerError(operation: string, error: unknown): TaskRunnerError {
  if (error instanceof TaskRunnerError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const status = shape.$metadata?.httpStatusCode;
  const detail = describe(error);
  if (THROTTLING.has(name) || status === 429 || shape.$retryable?.throttling === true) {
    return new TaskRunnerError(`${operation} throttled: ${detail}`, {
      retryable: true,
      throttled: true,
      cause: error,
    });
  }
  const transient =
    TRANSIENT.has(name) ||
    shape.$fault === 'server' ||
    shape.$retryable !== undefined ||
    // No HTTP status means no answer: connection refused or reset, DNS, a socket timeout.
    typeof status !== 'number' ||
    status >= 500;
  return new TaskRunnerError(`${operation} failed${transient ? ' (transient)' : ''}: ${detail}`, {
    retryable: transient,
    cause: error,
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Emulators pad messages with runs of spaces; keep the reason on one readable line.
  const message = error.message.replace(/\s+/g, ' ').trim();
  return message === '' ? error.name : `${error.name}: ${message}`;
}

/** The SDK's per-call options for an optional abort signal (exactOptionalPropertyTypes-safe). */
export function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}
