import {
  InvalidRequestException,
  ResourceExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { describeAwsError, isRetryableAwsError } from '@ocf/errors';
import { SecretConflictError, SecretStoreError } from '../ports.ts';

/**
 * Sorts a failed Secrets Manager call into what the handlers can act on:
 * - a conflict with the secret's state (it exists, it is gone, it is scheduled for deletion):
 *   read again and decide again;
 * - transient (throttled, a 5xx, no answer at all; see @ocf/errors' sortAwsError): retry later;
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
  const retryable = isRetryableAwsError(error);
  return new SecretStoreError(`${what} failed${retryable ? ' (transient)' : ''}: ${detail}`, {
    retryable,
    cause: error,
  });
}
