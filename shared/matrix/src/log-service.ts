import { LogLevel, LogService, type ILogger } from 'matrix-bot-sdk';
import type { LogAttributes, Logger } from '@ocf/logging';

/**
 * Routes matrix-bot-sdk's own logging into the fleet logger, so its output is structured JSON
 * and goes through the same redaction (it logs request URLs and bodies, which can carry access
 * tokens and passwords).
 */
export function useFleetLoggerForMatrix(
  logger: Logger,
  level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' = 'INFO',
): void {
  LogService.setLogger(new FleetMatrixLogger(logger));
  LogService.setLevel(
    { DEBUG: LogLevel.DEBUG, INFO: LogLevel.INFO, WARN: LogLevel.WARN, ERROR: LogLevel.ERROR }[level],
  );
}

export class FleetMatrixLogger implements ILogger {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger.with({ component: 'matrix-bot-sdk' });
  }

  info(module: string, ...parts: unknown[]): void {
    this.#logger.info(...toEntry(module, parts));
  }
  warn(module: string, ...parts: unknown[]): void {
    this.#logger.warn(...toEntry(module, parts));
  }
  error(module: string, ...parts: unknown[]): void {
    this.#logger.error(...toEntry(module, parts));
  }
  debug(module: string, ...parts: unknown[]): void {
    this.#logger.debug(...toEntry(module, parts));
  }
  trace(module: string, ...parts: unknown[]): void {
    this.#logger.debug(...toEntry(module, parts));
  }
}

/** The SDK logs `(module, "text", obj, err, ...)`: text becomes the message, the rest attributes. */
function toEntry(module: string, parts: unknown[]): [string, LogAttributes] {
  const text = parts
    .filter((p): p is string | number => typeof p === 'string' || typeof p === 'number')
    .join(' ');
  const details = parts.filter((p) => typeof p === 'object' && p !== null);
  const attributes: LogAttributes = { module };
  const error = details.find((d) => d instanceof Error);
  if (error !== undefined) attributes['error'] = error;
  const other = details.filter((d) => d !== error);
  if (other.length > 0) attributes['details'] = other.length === 1 ? other[0] : other;
  return [text === '' ? module : text, attributes];
}
