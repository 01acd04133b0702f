import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ENTRYPOINT = resolve(import.meta.dirname, '../../src/main.ts');

export interface AgentProcess {
  readonly child: ChildProcess;
  /** Every line the entrypoint and its gateway wrote, stdout and stderr. */
  readonly output: string[];
  /** The env the entrypoint was started with, for asserting on it. */
  readonly env: Readonly<Record<string, string>>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the entrypoint the way provisioning's local runner does (`node agent-container/src/main.ts`
 * as its own process) and waits for its "agent ready" line, or fails with its output.
 */
export async function startAgent(
  env: Record<string, string>,
  // A cold start of the real gateway: ~35 s on an idle machine, ~100 s at a load of 8 on two
  // cores, and past 120 s once (a benchmark beside the suite). Not a latency check.
  { timeoutMs = 240_000 } = {},
): Promise<AgentProcess> {
  const child = spawn(process.execPath, [ENTRYPOINT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      // Not left running: its gateway would keep a busy machine busier for the tests after it.
      child.kill('SIGTERM');
      reject(new Error(`agent not ready within ${timeoutMs} ms:\n${output.slice(-40).join('\n')}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before it was ready:\n${output.slice(-40).join('\n')}`));
    });
    lines.on('line', (line) => {
      output.push(line);
      if (line.includes('"message":"agent ready"')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
  });
  return {
    child,
    output,
    env,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}
