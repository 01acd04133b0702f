/**
 * The base of every error the fleet throws on purpose. Consumers decide retry vs DLQ from
 * `retryable`; the HTTP layer maps `code` to a status. Messages must never contain secret values:
 * say which secret (its ARN or name), never what it holds.
 */
export class FleetError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable;
  }
}

/** Input that can never succeed, however often it is retried. */
/** One problem with one field of an input: `body.level`, and what is wrong with it. */
export interface ValidationIssue {
  readonly field: string;
  readonly message: string;
}

export class ValidationError extends FleetError {
  /** Where the problem is, e.g. `data.agentId` or `body.manager`. */
  readonly field: string | undefined;
  /**
   * Every problem found, each with its field, when there are several (`field` is the first):
   * what a form shows beside each of its fields.
   */
  readonly issues: readonly ValidationIssue[] | undefined;

  constructor(
    message: string,
    options: { field?: string; code?: string; cause?: unknown; issues?: readonly ValidationIssue[] } = {},
  ) {
    super(options.code ?? 'VALIDATION_FAILED', message, { retryable: false, cause: options.cause });
    this.field = options.field;
    this.issues = options.issues;
  }
}

/** A dependency failed in a way that may pass: throttling, a timeout, a server that is down. */
export class TransientError extends FleetError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { retryable: true, cause });
  }
}

/** True when an error says it may succeed on retry. Unknown errors are treated as transient. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof FleetError) return error.retryable;
  if (typeof error === 'object' && error !== null && 'retryable' in error) {
    return error.retryable !== false;
  }
  return true;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The thing asked for does not exist (an unknown agent id, say). */
export class NotFoundError extends FleetError {
  constructor(message: string) {
    super('NOT_FOUND', message, { retryable: false });
  }
}

/** The request contradicts what already exists (a second hire of the same id with other data). */
export class ConflictError extends FleetError {
  constructor(message: string, code = 'CONFLICT') {
    super(code, message, { retryable: false });
  }
}

/** A setting is missing or malformed: the process cannot start. */
export class ConfigError extends FleetError {
  constructor(message: string) {
    super('CONFIG_INVALID', message, { retryable: false });
  }
}
export * from './aws.ts';
