/**
 * How a failed AWS SDK call sorts for retrying, the same for every service: `throttled` (slow
 * down, then try again), `transient` (try again later) or `permanent` (an invalid parameter,
 * access denied, a missing resource: trying again cannot help). Which errors mean "not found" or
 * "already exists" depends on the API, so callers test those with the client's own exception
 * classes first and sort what is left here. Works on any value: the SDK, a socket and an abort
 * all throw different shapes.
 */
export type AwsErrorSort = 'throttled' | 'transient' | 'permanent';

/** Error names that ask the caller to slow down. */
const THROTTLING = new Set([
  // The usual name across AWS APIs (ECS, Secrets Manager, EventBridge, CloudWatch...).
  'ThrottlingException',
  // The same, as query-protocol APIs and older SDK paths name it.
  'Throttling',
  // API Gateway-style APIs and some SDK paths for a 429.
  'TooManyRequestsException',
  // EC2-style APIs (and EFS mount targets through them).
  'RequestLimitExceeded',
  // The spelling some newer APIs use.
  'ThrottledException',
]);

/** Error names of failures on AWS's side or on the way: the same call may pass later. */
const TRANSIENT = new Set([
  // ECS's 5xx.
  'ServerException',
  // Secrets Manager's 5xx.
  'InternalServiceError',
  // The generic 500 of many APIs (DynamoDB, EFS...).
  'InternalServerError',
  // A 503, as query-protocol APIs and JSON APIs name it.
  'ServiceUnavailable',
  'ServiceUnavailableException',
  // The service, or the SDK's HTTP handler, gave up waiting for the request or the answer.
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  // The call was aborted (a per-call timeout signal): nothing says it would fail again.
  'AbortError',
]);

interface AwsErrorShape {
  name?: unknown;
  $fault?: unknown;
  $retryable?: { throttling?: boolean } | undefined;
  $metadata?: { httpStatusCode?: unknown };
}

export function sortAwsError(error: unknown): AwsErrorSort {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  const name = typeof shape.name === 'string' ? shape.name : '';
  const status = shape.$metadata?.httpStatusCode;
  if (
    THROTTLING.has(name) ||
    // Names outside the list that still say so ("...ThrottlingException", "TooManyRequests...").
    /Throttl|TooManyRequests/.test(name) ||
    status === 429 ||
    shape.$retryable?.throttling === true
  ) {
    return 'throttled';
  }
  const transient =
    TRANSIENT.has(name) ||
    // The SDK's own verdicts: a server-side fault, or an error its retry strategy would retry.
    shape.$fault === 'server' ||
    shape.$retryable !== undefined ||
    // No HTTP status means no answer: connection refused or reset, DNS, a socket timeout.
    typeof status !== 'number' ||
    status >= 500;
  return transient ? 'transient' : 'permanent';
}

/** Throttled or transient: worth another try. */
export function isRetryableAwsError(error: unknown): boolean {
  return sortAwsError(error) !== 'permanent';
}

/** `Name: message` on one line, for a log or a DLQ reason. AWS's messages never carry secret values. */
export function describeAwsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Emulators pad messages with runs of spaces; keep the reason on one readable line.
  const message = error.message.replace(/\s+/g, ' ').trim();
  return message === '' ? error.name : `${error.name}: ${message}`;
}
