import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServiceName } from '@ocf/routing';

const root = resolve(import.meta.dirname, '../..');

export interface RunningServiceProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every line the service wrote, stdout and stderr: for asserting on logs (canaries). */
  readonly output: string[];
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts a service the way production does — `node services/<name>/src/main.ts` as its own
 * process — against the test run's backends, and waits for its "service started" log line.
 */
export async function startServiceProcess(
  service: ServiceName,
  env: Record<string, string>,
  // A service starts in ~1-2 s on a calm machine; 60 s leaves room for a machine whose two cores
  // are shared with real OpenClaw gateways starting beside it (20 s was seen to run out).
  { timeoutMs = 60_000 } = {},
): Promise<RunningServiceProcess> {
  const child = spawn(process.execPath, [resolve(root, `services/${service}/src/main.ts`)], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'INFO', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${service} did not start within ${timeoutMs} ms:\n${output.join('\n')}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited with ${code} before starting:\n${output.join('\n')}`));
    });
    lines.on('line', (line) => {
      output.push(line);
      try {
        const entry = JSON.parse(line) as { message?: string; url?: string };
        if (entry.message === 'service started' && entry.url !== undefined) {
          clearTimeout(timer);
          resolveUrl(entry.url);
        }
      } catch {
        // not a log line
      }
    });
  });
  return {
    url,
    child,
    output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Runs one of a service's scripts (e.g. the directory's create-token) and returns its stdout. */
export async function runServiceScript(
  service: ServiceName,
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  const child = spawn(process.execPath, [resolve(root, `services/${service}/scripts/${script}`), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${script} exited with ${code}: ${stderr}`);
  return stdout.trim();
}
