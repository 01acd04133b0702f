import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { redactingReplacer } from './redact.ts';

export type LogAttributes = Record<string, unknown>;
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/**
 * The logger every service and adapter takes. Narrow on purpose: code logs a message plus
 * attributes, and binds context (`agentId`, `correlationId`) with `with()`.
 */
export interface Logger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
  /** A logger that adds these attributes to every entry. Cheap: no new Powertools instance. */
  with(attributes: LogAttributes): Logger;
}

export interface CreateLoggerOptions {
  readonly service: string;
  readonly level?: LogLevel;
  readonly persistentKeys?: LogAttributes;
}

/**
 * Powertools Logger (structured JSON, one object per line) with the fleet's redaction applied to
 * every key and value before it is written.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const level = options.level ?? levelFromEnv();
  const powertools = new PowertoolsLogger({
    serviceName: options.service,
    logLevel: level,
    jsonReplacerFn: redactingReplacer,
    ...(options.persistentKeys === undefined ? {} : { persistentKeys: options.persistentKeys }),
  });
  return bind(powertools, {});
}

function bind(powertools: PowertoolsLogger, bound: LogAttributes): Logger {
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, attributes?: LogAttributes): void => {
      const merged = attributes === undefined ? bound : { ...bound, ...attributes };
      if (Object.keys(merged).length === 0) powertools[method](message);
      else powertools[method](message, merged);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    with: (attributes) => bind(powertools, { ...bound, ...attributes }),
  };
}

function levelFromEnv(): LogLevel {
  const raw = (process.env['LOG_LEVEL'] ?? 'INFO').toUpperCase();
  return (['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const).find((l) => l === raw) ?? 'INFO';
}

/** For unit tests: keeps entries in memory, redacted the same way as the real logger. */
export function createMemoryLogger(): Logger & {
  readonly entries: { level: string; message: string; attributes: LogAttributes }[];
} {
  const entries: { level: string; message: string; attributes: LogAttributes }[] = [];
  const make = (bound: LogAttributes): Logger => {
    const write =
      (level: string) =>
      (message: string, attributes?: LogAttributes): void => {
        const redacted = JSON.parse(
          JSON.stringify({ message, attributes: { ...bound, ...attributes } }, redactingReplacer),
        ) as {
          message: string;
          attributes: LogAttributes;
        };
        entries.push({ level, ...redacted });
      };
    return {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      with: (a) => make({ ...bound, ...a }),
    };
  };
  return Object.assign(make({}), { entries });
}
