import path from 'node:path';
import { LocalStackError } from './errors.ts';
import { logTail } from './log-tail.ts';
import type { StackLayout } from './paths.ts';
import {
  assertPortFree,
  isRunning,
  readPidRecord,
  removePidRecord,
  spawnInOwnGroup,
  stopProcessGroup,
  writePidRecord,
} from './processes.ts';
import { waitFor } from './wait.ts';

export type BackendName = 'moto' | 'synapse';

/** What `status` and `down` need to know about a kind of backend: no ports, no commands. */
export interface BackendKind {
  name: BackendName;
  /** The environment variable that moves it to another port, for error messages. */
  portSetting: string;
  /** True once the server at `url` answers as this backend, not merely as something on the port. */
  answers(url: string): Promise<boolean>;
  readyTimeoutMs: number;
}

/** One backend as `up` starts it. */
export interface BackendLaunch extends BackendKind {
  port: number;
  command: readonly string[];
  /** A part of `command` no other process has; see PidRecord.identity. */
  identity: string;
}

export type BackendState = 'running' | 'unresponsive' | 'stopped';

export interface BackendStatus {
  name: BackendName;
  state: BackendState;
  pid?: number;
  url?: string;
  logFile: string;
}

export function backendUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export function backendFiles(layout: StackLayout, name: BackendName): { pidFile: string; logFile: string } {
  return {
    pidFile: path.join(layout.runDir, `${name}.pid`),
    logFile: path.join(layout.logsDir, `${name}.log`),
  };
}

/**
 * Leaves a healthy backend of this stack alone and starts one otherwise. A pid file whose process
 * is gone (or is no longer ours) is stale and is dropped.
 */
export async function ensureRunning(
  launch: BackendLaunch,
  layout: StackLayout,
): Promise<'started' | 'reused'> {
  const { pidFile, logFile } = backendFiles(layout, launch.name);
  const url = backendUrl(launch.port);
  const record = await readPidRecord(pidFile);
  if (record !== undefined && (await isRunning(record))) {
    if (record.port !== launch.port) {
      throw new LocalStackError(
        'PORT_MISMATCH',
        `${launch.name} of this stack already runs on port ${record.port}, not ${launch.port}. ` +
          'Run `pnpm stack down` first to move it.',
      );
    }
    if (!(await waitFor(() => launch.answers(url), { timeoutMs: launch.readyTimeoutMs }))) {
      throw new LocalStackError(
        'BACKEND_NOT_READY',
        `${launch.name} (pid ${record.pid}) is running but does not answer on ${url}. ` +
          `\`pnpm stack down && pnpm stack up\` restarts it. Last lines of ${logFile}:\n${await logTail(logFile)}`,
      );
    }
    return 'reused';
  }
  if (record !== undefined) await removePidRecord(pidFile);

  await assertPortFree(launch.port, launch.name, launch.portSetting);
  const child = spawnInOwnGroup(launch.command, { logFile, cwd: layout.stateDir, env: backendEnvironment() });
  let exit: string | undefined;
  child.once('error', (error) => (exit = error.message));
  child.once('exit', (code, signal) => (exit = signal === null ? `exit code ${code}` : `signal ${signal}`));
  if (child.pid !== undefined) {
    await writePidRecord(pidFile, {
      pid: child.pid,
      port: launch.port,
      identity: launch.identity,
      startedAt: new Date().toISOString(),
    });
  }

  const ready = await waitFor(async () => exit !== undefined || (await launch.answers(url)), {
    timeoutMs: launch.readyTimeoutMs,
  });
  if (ready && exit === undefined) return 'started';

  if (child.pid !== undefined && exit === undefined) await stopProcessGroup(child.pid);
  await removePidRecord(pidFile);
  const why =
    exit === undefined
      ? `did not answer on ${url} within ${launch.readyTimeoutMs / 1000} s`
      : `stopped (${exit})`;
  throw new LocalStackError(
    exit === undefined ? 'BACKEND_NOT_READY' : 'BACKEND_EXITED',
    `${launch.name} ${why} while starting. Last lines of ${logFile}:\n${await logTail(logFile)}`,
  );
}

/** Stops this stack's backend if it runs; says whether it did. */
export async function stopBackend(kind: BackendKind, layout: StackLayout): Promise<boolean> {
  const { pidFile } = backendFiles(layout, kind.name);
  const record = await readPidRecord(pidFile);
  if (record === undefined) return false;
  const running = await isRunning(record);
  if (running) await stopProcessGroup(record.pid);
  await removePidRecord(pidFile);
  return running;
}

export async function backendStatus(kind: BackendKind, layout: StackLayout): Promise<BackendStatus> {
  const { pidFile, logFile } = backendFiles(layout, kind.name);
  const record = await readPidRecord(pidFile);
  if (record === undefined || !(await isRunning(record))) {
    return { name: kind.name, state: 'stopped', logFile };
  }
  const url = backendUrl(record.port);
  const state = (await kind.answers(url)) ? 'running' : 'unresponsive';
  return { name: kind.name, state, pid: record.pid, url, logFile };
}

/**
 * The developer's environment, minus what would point the venv's python at other packages.
 * Unbuffered output, so a crash's last words reach the log.
 */
function backendEnvironment(): NodeJS.ProcessEnv {
  const { PYTHONPATH: _path, PYTHONHOME: _home, ...env } = process.env;
  return { ...env, PYTHONUNBUFFERED: '1' };
}
