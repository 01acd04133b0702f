import {
  InvalidRequestException,
  ResourceExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { SecretConflictError, SecretStoreError } from '../ports.ts';

/**
 * Sorts a failed Secrets Manager call into what the handlers can act on:
 * - a conflict with the secret's state (it exists, it is gone, it is scheduled for deletion):
 *   read again and decide again;
 * - transient (throttled, a 5xx, no answer at all): retry later;
 * - anything else (access denied, an invalid parameter, a KMS key we may not use, a quota):
 *   permanent, retrying cannot fix it.
 * Messages name the operation and the secret, never its value; AWS's own messages never carry
 * the value either (it is in the request, not the response).
 */
export function toSecretStoreError(
  operation: string,
  secretName: string,
  error: unknown,
): SecretConflictError | SecretStoreError {
  const what = `${operation} of ${secretName}`;
  const detail = describeAwsError(error);
  if (error instanceof ResourceExistsException) {
    return new SecretConflictError('exists', `${what}: it already exists (${detail})`, error);
  }
  if (error instanceof ResourceNotFoundException) {
    return new SecretConflictError('not-found', `${what}: it does not exist (${detail})`, error);
  }
  if (error instanceof InvalidRequestException) {
    // "not valid for the current state of the resource": scheduled for deletion, mostly.
    return new SecretConflictError(
      'wrong-state',
      `${what}: not possible in the secret's state (${detail})`,
      error,
    );
  }
  const retryable = isTransient(error);
  return new SecretStoreError(`${what} failed${retryable ? ' (transient)' : ''}: ${detail}`, {
    retryable,
    cause: error,
  });
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalServiceError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
]);

interface AwsErrorShape {
  name?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const shape = error as AwsErrorShape;
  if (typeof shape.name === 'string' && TRANSIENT_NAMES.has(shape.name)) return true;
  if (shape.$retryable !== undefined || shape.$fault === 'server') return true;
  const status = shape.$metadata?.httpStatusCode;
  // No HTTP status means no answer: connection refused or reset, DNS, a socket timeout.
  if (typeof status !== 'number') return true;
  return status === 429 || status >= 500;
}

function describeAwsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Emulators pad messages with runs of spaces; keep the DLQ reason on one readable line.
  const message = error.message.replace(/\s+/g, ' ').trim();
  return message === '' ? error.name : `${error.name}: ${message}`;
}
