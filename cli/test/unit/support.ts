import { run, type Io } from '../../src/program.ts';

/** Runs `ocf` in-process with captured output; `tty` makes stdout look like a terminal. */
export async function ocf(
  argv: string[],
  options: { env?: Record<string, string>; cwd?: string; tty?: boolean; signal?: AbortSignal } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    // A config home with nothing in it, so the machine's own config never leaks into a test.
    env: { XDG_CONFIG_HOME: '/nonexistent-ocf-test', ...options.env },
    cwd: options.cwd ?? '/',
    interrupted: options.signal ?? new AbortController().signal,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}
