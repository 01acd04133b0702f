/**
 * A breach of the agent-secret contract: a bad name part, or a value that does not match the
 * format. Never retryable. Shaped like the fleet's errors (`code`, `retryable`) without depending
 * on them, so that readers of the contract (the agent container) need nothing but this package.
 * Its message names fields, never their contents.
 */
export class AgentSecretError extends Error {
  readonly code: string;
  readonly retryable = false;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'AgentSecretError';
    this.code = code;
  }
}
