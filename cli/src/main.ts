import { run } from './program.ts';

/** `ocf` as a process: its streams, its environment, Ctrl-C. */
export async function main(argv: readonly string[]): Promise<number> {
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    interrupt.abort();
  });
  process.once('SIGTERM', () => {
    interrupt.abort();
  });
  const code = await run(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    interrupted: interrupt.signal,
  });
  return code;
}
