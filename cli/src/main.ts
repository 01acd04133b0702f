import { run } from './program.ts';

/** `ocf` as a process: its streams, its environment, Ctrl-C. */
export async function main(argv: readonly string[]): Promise<number> {
  // `pnpm ocf ...` runs from the repository root; files and the local fleet are looked for where
  // the person typed it.
  const invokedFrom = process.env['INIT_CWD'];
  if (process.env['npm_lifecycle_event'] === 'ocf' && invokedFrom !== undefined) process.chdir(invokedFrom);
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
