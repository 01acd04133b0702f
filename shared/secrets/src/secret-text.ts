import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A secret value held in memory. It prints as `[REDACTED]` through every channel a value usually
 * leaks by — template strings, `String()`, `JSON.stringify`, `console.log`, `util.inspect` — so a
 * stray log line, event or error message cannot carry it. `reveal()` is the one way out, for the
 * few places where the value must leave the process for its store or its user.
 */
export class SecretText {
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  reveal(): string {
    return this.#text;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `SecretText ${REDACTED}`;
  }
}
