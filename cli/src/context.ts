import type { ResolvedConfig } from './config.ts';
import type { DirectoryClient } from './client.ts';
import type { Style } from './output.ts';

/** Where a command reads and writes: the process's streams in `ocf`, buffers in unit tests. */
export interface Io {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean | undefined };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean | undefined };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C: `watch` ends cleanly on it. */
  readonly interrupted: AbortSignal;
}

export interface GlobalOptions {
  readonly url?: string;
  readonly token?: string;
  readonly env?: string;
  readonly config?: string;
  readonly json?: boolean;
  readonly color?: boolean;
}

/** What every command gets: its output, its style, and (lazily) the directory. */
export interface Context {
  readonly io: Io;
  readonly json: boolean;
  readonly style: Style;
  readonly config: () => Promise<ResolvedConfig>;
  readonly client: () => Promise<DirectoryClient>;
  out(text: string): void;
  err(text: string): void;
}

/** A failure a command reports itself, with the exit code it means. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}
