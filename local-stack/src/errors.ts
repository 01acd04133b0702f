/** Why the local stack could not do what was asked. Messages say what to do next. */
export type LocalStackErrorCode =
  | 'INVALID_SETTING'
  | 'PYTHON_UNUSABLE'
  | 'VENV_INSTALL_FAILED'
  | 'PORT_TAKEN'
  | 'PORT_MISMATCH'
  | 'BACKEND_EXITED'
  | 'BACKEND_NOT_READY'
  | 'BACKEND_WOULD_NOT_STOP'
  | 'SERVER_NAME_CHANGED'
  | 'NOT_RUNNING'
  | 'LOCKED';

export class LocalStackError extends Error {
  readonly code: LocalStackErrorCode;

  constructor(code: LocalStackErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LocalStackError';
    this.code = code;
  }
}
