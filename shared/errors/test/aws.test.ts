import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeAwsError, isRetryableAwsError, sortAwsError } from '../src/aws.ts';

/** An error as the AWS SDK throws it: a name, a fault side, the HTTP status of the answer. */
const aws = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    ...extra,
  });

describe('sorting AWS errors', () => {
  it('tells throttling by every name AWS uses, by 429, and by the SDK saying so', () => {
    for (const name of [
      'ThrottlingException',
      'Throttling',
      'TooManyRequestsException',
      'RequestLimitExceeded',
      'ThrottledException',
      'ProvisionedThroughputThrottlingException',
    ]) {
      assert.equal(sortAwsError(aws(name, 400)), 'throttled', name);
    }
    assert.equal(sortAwsError(aws('SlowDown', 429)), 'throttled');
    assert.equal(sortAwsError(aws('Whatever', 400, { $retryable: { throttling: true } })), 'throttled');
  });

  it('calls server faults, 5xx, timeouts, aborts and no answer at all transient', () => {
    for (const name of [
      'ServerException',
      'InternalServiceError',
      'InternalServerError',
      'ServiceUnavailable',
      'ServiceUnavailableException',
      'RequestTimeout',
      'RequestTimeoutException',
      'TimeoutError',
      'AbortError',
    ]) {
      assert.equal(sortAwsError(aws(name, 400)), 'transient', name);
    }
    assert.equal(sortAwsError(aws('Anything', 502)), 'transient');
    assert.equal(sortAwsError(aws('Anything', 400, { $fault: 'server' })), 'transient');
    assert.equal(sortAwsError(aws('Anything', 400, { $retryable: {} })), 'transient');
    assert.equal(
      sortAwsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      'transient',
    );
    assert.equal(sortAwsError('a string'), 'transient');
    assert.equal(sortAwsError(null), 'transient');
  });

  it('calls what retrying cannot fix permanent', () => {
    for (const name of [
      'AccessDeniedException',
      'InvalidParameterException',
      'ClusterNotFoundException',
      'LimitExceededException',
      'ResourceNotFoundException',
    ]) {
      assert.equal(sortAwsError(aws(name, 400)), 'permanent', name);
      assert.equal(isRetryableAwsError(aws(name, 400)), false, name);
    }
    assert.equal(isRetryableAwsError(aws('ThrottlingException', 400)), true);
    assert.equal(isRetryableAwsError(aws('ServerException', 500)), true);
  });

  it('describes an error on one line, name first', () => {
    assert.equal(
      describeAwsError(
        Object.assign(new Error('The  value   must be\n between 7 and 30'), {
          name: 'InvalidParameterException',
        }),
      ),
      'InvalidParameterException: The value must be between 7 and 30',
    );
    assert.equal(describeAwsError(Object.assign(new Error(''), { name: 'UnknownError' })), 'UnknownError');
    assert.equal(describeAwsError(42), '42');
  });
});
