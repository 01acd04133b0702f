import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EncryptionFailure,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  LimitExceededException,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { toSecretStoreError } from '../../src/adapters/secrets-manager-errors.ts';
import { SecretConflictError, SecretStoreError } from '../../src/ports.ts';

const $metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const classify = (error: unknown) => toSecretStoreError('CreateSecret', 'ocf/test/agents/ada', error);

describe('Secrets Manager errors', () => {
  it('turn state conflicts into SecretConflictError, naming the kind', () => {
    const cases = [
      [new ResourceExistsException({ message: 'already exists', ...$metadata(400) }), 'exists'],
      [new ResourceNotFoundException({ message: "can't find it", ...$metadata(400) }), 'not-found'],
      [new InvalidRequestException({ message: 'scheduled for deletion', ...$metadata(400) }), 'wrong-state'],
    ] as const;
    for (const [error, conflict] of cases) {
      const mapped = classify(error);
      assert.ok(mapped instanceof SecretConflictError);
      assert.equal(mapped.conflict, conflict);
      assert.equal(mapped.cause, error);
    }
  });

  it('mark throttling, server errors and missing answers as retryable', () => {
    const transient = [
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        ...$metadata(400),
      }),
      new InternalServiceError({ message: 'oops', ...$metadata(500) }),
      new SecretsManagerServiceException({ name: 'ServiceUnavailable', $fault: 'server', ...$metadata(503) }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('socket hang up'), { $metadata: { attempts: 3 } }),
      Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }),
    ];
    for (const error of transient) {
      const mapped = classify(error);
      assert.ok(mapped instanceof SecretStoreError, error.name);
      assert.equal(mapped.retryable, true, error.message);
      assert.equal(mapped.code, 'SECRET_STORE_UNAVAILABLE');
    }
  });

  it('mark what retrying cannot fix as permanent, with a reason worth reading', () => {
    const permanent = [
      new SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        ...$metadata(400),
      }),
      new InvalidParameterException({
        message: 'The  RecoveryWindowInDays   value must be between 7 and 30',
        ...$metadata(400),
      }),
      new LimitExceededException({ message: 'quota', ...$metadata(400) }),
      new EncryptionFailure({ message: 'KMS key is disabled', ...$metadata(400) }),
    ];
    for (const error of permanent) {
      const mapped = classify(error);
      assert.ok(mapped instanceof SecretStoreError);
      assert.equal(mapped.retryable, false, error.name);
      assert.equal(mapped.code, 'SECRET_STORE_REJECTED');
    }
    assert.equal(
      classify(permanent[1]).message,
      'CreateSecret of ocf/test/agents/ada failed: InvalidParameterException: The RecoveryWindowInDays value must be between 7 and 30',
    );
  });
});
