import { describeAwsError, sortAwsError } from '@ocf/errors';
import { TaskRunnerError } from '../ports.ts';

/**
 * Sorts a failed AWS call (ECS, EFS) for the reconciler: throttled (slow down and try again),
 * transient (a 5xx, no answer: try again later), or permanent (an invalid parameter, access
 * denied, a missing cluster: trying again cannot help; it is reported). The message names the
 * operation and the agent, and never carries request parameters.
 */
export function toTaskRunnerError(operation: string, error: unknown): TaskRunnerError {
  if (error instanceof TaskRunnerError) return error;
  const sort = sortAwsError(error);
  const detail = describeAwsError(error);
  if (sort === 'throttled') {
    return new TaskRunnerError(`${operation} throttled: ${detail}`, {
      retryable: true,
      throttled: true,
      cause: error,
    });
  }
  const transient = sort === 'transient';
  return new TaskRunnerError(`${operation} failed${transient ? ' (transient)' : ''}: ${detail}`, {
    retryable: transient,
    cause: error,
  });
}

/** The SDK's per-call options for an optional abort signal (exactOptionalPropertyTypes-safe). */
export function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}
