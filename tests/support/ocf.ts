import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const bin = resolve(import.meta.dirname, '../../cli/bin/ocf.js');

export interface OcfResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `ocf` command as its own process, as a person or a script would, with only the
 * environment given (plus PATH and the AWS settings the test run uses): no config of this machine.
 */
export async function ocf(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd = '/',
): Promise<OcfResult> {
  const child = spawnOcf(args, env, cwd);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  return { code, stdout, stderr };
}

export function spawnOcf(args: readonly string[], env: Record<string, string> = {}, cwd = '/'): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    cwd,
    env: {
      PATH: process.env['PATH'] ?? '',
      XDG_CONFIG_HOME: '/nonexistent-ocf-test',
      ...pick(process.env, ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The lines a running `ocf` writes to stdout, as they come. */
export function linesOf(child: ChildProcess): string[] {
  const lines: string[] = [];
  if (child.stdout !== null) createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  return lines;
}

function pick(env: NodeJS.ProcessEnv, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((key) => (env[key] === undefined ? [] : [[key, env[key]]])));
}
