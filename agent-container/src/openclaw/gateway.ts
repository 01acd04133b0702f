import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { StateLayout } from './state.ts';

/** How the gateway process ended: its exit code, or the signal that ended it. */
export interface GatewayExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface GatewayProcess {
  readonly pid: number;
  /** Settles when the process has exited, whoever caused it. */
  readonly exited: Promise<GatewayExit>;
  /** SIGTERM, then SIGKILL to its whole process group after `timeoutMs`. */
  stop(timeoutMs: number): Promise<GatewayExit>;
}

/** OpenClaw's CLI: `openclaw/cli-entry` is its `openclaw.mjs`. */
export function openclawCli(): string {
  return fileURLToPath(import.meta.resolve('openclaw/cli-entry'));
}

/**
 * Variables the gateway may see. An allowlist, not the entrypoint's whole environment: nothing
 * secret is there by design, but neither should the emulator endpoint reach OpenClaw's AWS SDK
 * (AWS_ENDPOINT_URL is for the entrypoint's Secrets Manager client), nor anything else the task
 * happens to have.
 */
const PASSED_THROUGH = [
  'PATH',
  'LANG',
  'LC_ALL',
  'TZ',
  'NODE_EXTRA_CA_CERTS',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
];
/** The AWS SDK's default credential chain, for Bedrock through the task role. */
const AWS_CREDENTIAL_CHAIN = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];

export function gatewayEnvironment(
  base: NodeJS.ProcessEnv,
  layout: StateLayout,
  options: { awsCredentials: boolean },
): Record<string, string> {
  const names = [...PASSED_THROUGH, ...(options.awsCredentials ? AWS_CREDENTIAL_CHAIN : [])];
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = base[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  return {
    ...env,
    OPENCLAW_STATE_DIR: layout.root,
    OPENCLAW_CONFIG_PATH: layout.configFile,
    // OpenClaw and npm write caches under HOME; keep them in the task-local state too.
    HOME: layout.home,
    // Belt and braces next to the config: no update pings, no usage statistics, no mDNS.
    OPENCLAW_NO_AUTO_UPDATE: '1',
    DO_NOT_TRACK: '1',
    OPENCLAW_DISABLE_BONJOUR: '1',
  };
}

export function startGateway(params: { env: Record<string, string>; cwd: string }): GatewayProcess {
  const child = spawn(process.execPath, [openclawCli(), 'gateway', 'run'], {
    cwd: params.cwd,
    env: params.env,
    // Its own process group: a terminal's Ctrl-C reaches only the entrypoint, which decides, and
    // a gateway that will not stop can be killed together with whatever it started.
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the OpenClaw gateway did not start');
  const exited = new Promise<GatewayExit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });

  return {
    pid,
    exited,
    async stop(timeoutMs) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/**
 * Polls the gateway's readiness probe until it says ready: HTTP up, agents admitted and the Matrix
 * account connected. Calls `onSlow` once if that takes longer than `warnAfterMs`, and keeps going:
 * the fleet's health checks decide what a slow start means, not the entrypoint.
 */
export async function waitUntilReady(params: {
  readonly port: number;
  readonly warnAfterMs: number;
  readonly onSlow: () => void;
  readonly signal: AbortSignal;
}): Promise<void> {
  const started = Date.now();
  let warned = false;
  while (!params.signal.aborted) {
    try {
      const response = await fetch(`http://127.0.0.1:${params.port}/readyz`, {
        signal: AbortSignal.timeout(2000),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (!warned && Date.now() - started > params.warnAfterMs) {
      warned = true;
      params.onSlow();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Waits until the Matrix channel has finished its first sync. /readyz turns ready before that,
 * and a message that arrives in the first sync is taken as history, not answered. The only
 * outward sign OpenClaw gives is its "matrix: logged in as" log record, written to the log file
 * this entrypoint configured; the file is polled from where it ended when the gateway started.
 */
export async function waitForMatrixLogin(params: {
  readonly logFile: string;
  /** Where the file ended before this gateway started: older runs' lines do not count. */
  readonly from: number;
  readonly signal: AbortSignal;
}): Promise<void> {
  let offset = params.from;
  let pending = '';
  while (!params.signal.aborted) {
    const file = await open(params.logFile, 'r').catch(() => undefined);
    if (file !== undefined) {
      try {
        const { size } = await file.stat();
        if (size > offset) {
          const chunk = Buffer.alloc(size - offset);
          await file.read(chunk, 0, chunk.length, offset);
          offset = size;
          const lines = (pending + chunk.toString('utf8')).split('\n');
          pending = lines.pop() ?? '';
          if (lines.some((line) => line.includes('matrix: logged in as '))) return;
        }
      } finally {
        await file.close();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The size of a file, 0 if there is none yet. */
export async function sizeOf(path: string): Promise<number> {
  const file = await open(path, 'r').catch(() => undefined);
  if (file === undefined) return 0;
  try {
    return (await file.stat()).size;
  } finally {
    await file.close();
  }
}
