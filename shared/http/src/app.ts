import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ConflictError, errorMessage, FleetError, NotFoundError, ValidationError } from '@ocf/errors';
import type { Logger } from '@ocf/logging';

/** A named readiness check: resolves when the dependency is usable, throws when it is not. */
export type ReadinessCheck = () => Promise<void>;

export interface HttpAppOptions {
  readonly service: string;
  readonly logger: Logger;
  /** Checked by /readyz, each with a time limit. /healthz only says the process is alive. */
  readonly readiness?: Readonly<Record<string, ReadinessCheck>>;
  readonly readinessTimeoutMs?: number;
  /** Largest accepted request body. */
  readonly bodyLimitBytes?: number;
}

/**
 * The Fastify instance every service starts from: liveness and readiness endpoints, request
 * logging through the fleet logger, and one error handler that maps error codes to statuses
 * and never leaks a 5xx message. It never listens by itself; main.ts does.
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const { logger } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes ?? 256 * 1024,
    // Report every invalid field at once, and reject unknown fields instead of silently
    // dropping them: a typo like "manger" must not hire an agent without a manager.
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
  });

  // Fastify's own JSON parser answers a `__proto__` key with "Body is not valid JSON", which is
  // untrue and leaves the caller guessing. Same guard (the key is refused, never merged into
  // anything), but the answer says what is wrong and where. An empty body reads as no body, so
  // routes whose body is optional work whatever the client sends as content type.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      done(
        Object.assign(new Error(`body is not valid JSON: ${errorMessage(error)}`), {
          statusCode: 400,
          code: 'INVALID_JSON',
        }),
        undefined,
      );
      return;
    }
    const forbidden = forbiddenKey(parsed, 'body');
    if (forbidden !== undefined) {
      done(
        new ValidationError(
          `${forbidden} is not accepted: "__proto__" and "constructor.prototype" keys are refused as a guard against prototype pollution`,
          { field: forbidden, code: 'FORBIDDEN_KEY' },
        ),
        undefined,
      );
      return;
    }
    done(null, parsed);
  });

  app.addHook('onResponse', async (request, reply) => {
    logger.info('request', {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
    });
  });

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const { status, body } = toHttpError(error);
    if (status >= 500) {
      logger.error('request failed', { method: request.method, url: request.url, error });
    }
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` }),
  );

  app.get('/healthz', () => ({ status: 'ok', service: options.service }));

  app.get('/readyz', async (_request, reply) => {
    const checks = Object.entries(options.readiness ?? {});
    const timeoutMs = options.readinessTimeoutMs ?? 2_000;
    const results = await Promise.all(
      checks.map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs, `${name} did not answer within ${timeoutMs} ms`);
          return [name, 'ok'] as const;
        } catch (error) {
          logger.warn('readiness check failed', { check: name, error });
          return [name, 'failed'] as const;
        }
      }),
    );
    const ready = results.every(([, result]) => result === 'ok');
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not-ready', checks: Object.fromEntries(results) });
  });

  return app;
}

interface ErrorBody {
  error: string;
  message: string;
  field?: string;
  /** Every field in error with its own message (a 400's `message` joins them with `; `). */
  issues?: { field: string; message: string }[];
}

/** Maps any error to a status and a body that is safe to show a caller. */
export function toHttpError(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ValidationError) {
    return {
      status: 400,
      body: {
        error: error.code,
        message: error.message,
        ...(error.field === undefined ? {} : { field: error.field }),
        ...issuesOf(error),
      },
    };
  }
  if (error instanceof NotFoundError)
    return { status: 404, body: { error: error.code, message: error.message } };
  if (error instanceof ConflictError)
    return { status: 409, body: { error: error.code, message: error.message } };
  if (isFastifyValidation(error)) {
    const first = error.validation[0];
    const field = first === undefined ? undefined : fieldOf(error.validationContext, first);
    return {
      status: 400,
      body: {
        error: 'VALIDATION_FAILED',
        message: describeValidation(error),
        ...(field === undefined ? {} : { field }),
        issues: error.validation.map((issue) => ({
          field: fieldOf(error.validationContext, issue),
          message: describeIssue(error.validationContext, issue),
        })),
      },
    };
  }
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // Fastify's own client errors (malformed JSON, body too large, wrong content type).
    const code = (error as { code?: unknown }).code;
    return {
      status: statusCode,
      body: { error: typeof code === 'string' ? code : 'BAD_REQUEST', message: errorMessage(error) },
    };
  }
  // Anything else is our fault; its message may name internals, so it stays in the logs.
  const code = error instanceof FleetError ? error.code : 'INTERNAL';
  return {
    status: error instanceof FleetError && error.retryable ? 503 : 500,
    body: { error: code, message: 'internal error' },
  };
}

interface ValidationIssue {
  instancePath: string;
  message?: string | undefined;
  params: Record<string, unknown>;
}

function isFastifyValidation(
  error: unknown,
): error is { validation: ValidationIssue[]; validationContext?: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    Array.isArray((error as { validation?: unknown }).validation)
  );
}

/** `body.manager`, `querystring.limit`: the field a caller has to fix. */
function fieldOf(context: string | undefined, issue: ValidationIssue): string {
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing =
    typeof issue.params['missingProperty'] === 'string' ? issue.params['missingProperty'] : undefined;
  const extra =
    typeof issue.params['additionalProperty'] === 'string' ? issue.params['additionalProperty'] : undefined;
  const name = [path, missing ?? extra].filter((p) => p !== undefined && p !== '').join('.');
  return [context ?? 'body', name].filter((p) => p !== '').join('.');
}

function describeValidation(error: { validation: ValidationIssue[]; validationContext?: string }): string {
  return error.validation.map((issue) => describeIssue(error.validationContext, issue)).join('; ');
}

function describeIssue(context: string | undefined, issue: ValidationIssue): string {
  const what =
    typeof issue.params['additionalProperty'] === 'string'
      ? 'is not a known field'
      : typeof issue.params['missingProperty'] === 'string'
        ? 'is required'
        : (issue.message ?? 'is invalid');
  return `${fieldOf(context, issue)} ${what}`;
}

/** A validation error's issues, one per field; a single-field error is one issue. */
function issuesOf(error: ValidationError): Pick<ErrorBody, 'issues'> {
  if (error.issues !== undefined && error.issues.length > 0)
    return { issues: error.issues.map(({ field, message }) => ({ field, message })) };
  return error.field === undefined ? {} : { issues: [{ field: error.field, message: error.message }] };
}

/** The path of the first `__proto__` (or `constructor.prototype`) key in parsed JSON, if any. */
function forbiddenKey(value: unknown, path: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = forbiddenKey(item, `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    if (key === '__proto__') return `${path}.${key}`;
    if (key === 'constructor' && typeof item === 'object' && item !== null && 'prototype' in item)
      return `${path}.constructor.prototype`;
    const found = forbiddenKey(item, `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(message));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
