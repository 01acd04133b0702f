import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { promisify } from 'node:util';
import { LocalStackError } from './errors.ts';
import { waitFor } from './wait.ts';

const execFileAsync = promisify(execFile);

/** What a pid file holds. */
export interface PidRecord {
  /** Also the process group id: every backend is started as the leader of its own group. */
  pid: number;
  port: number;
  /**
   * A piece of the command line only this backend has. It is checked before any signal is sent,
   * because after a reboot the pid in a leftover file may belong to an unrelated process.
   */
  identity: string;
  startedAt: string;
}

export async function readPidRecord(file: string): Promise<PidRecord | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    'pid' in parsed &&
    'port' in parsed &&
    'identity' in parsed &&
    'startedAt' in parsed &&
    Number.isInteger(parsed.pid) &&
    Number.isInteger(parsed.port) &&
    typeof parsed.identity === 'string' &&
    typeof parsed.startedAt === 'string'
  ) {
    return {
      pid: Number(parsed.pid),
      port: Number(parsed.port),
      identity: parsed.identity,
      startedAt: parsed.startedAt,
    };
  }
  return undefined;
}

export async function writePidRecord(file: string, record: PidRecord): Promise<void> {
  await writeFile(file, `${JSON.stringify(record)}\n`);
}

export async function removePidRecord(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * Starts `command` as the leader of a new process group (detached), with stdout and stderr
 * appended to `logFile`. Its own group lets `down` signal the backend and anything it forked in
 * one go, and keeps Ctrl-C in the terminal that ran `up` from reaching it.
 */
export function spawnInOwnGroup(
  command: readonly string[],
  options: { logFile: string; cwd: string; env: NodeJS.ProcessEnv },
): ChildProcess {
  const [executable, ...args] = command;
  if (executable === undefined) throw new TypeError('spawnInOwnGroup needs a command');
  const log = openSync(options.logFile, 'a');
  try {
    writeSync(log, `\n=== ${new Date().toISOString()} ${command.join(' ')}\n`);
    const child = spawn(executable, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    // The stack outlives the command that started it; nothing here should wait for the backend.
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** True when the pid file's process is alive and is the backend it names. */
export async function isRunning(record: PidRecord): Promise<boolean> {
  const leader = (await listProcesses()).find((p) => p.pid === record.pid);
  return leader !== undefined && leader.args.includes(record.identity);
}

export async function processGroupMembers(pgid: number): Promise<number[]> {
  return (await listProcesses()).filter((p) => p.pgid === pgid).map((p) => p.pid);
}

/**
 * SIGTERM to the whole group, then SIGKILL to whatever is left after `graceMs`; returns only once
 * no process of the group exists, so nothing the backend forked survives it.
 */
export async function stopProcessGroup(pgid: number, graceMs = 10_000): Promise<void> {
  const groupGone = async (): Promise<boolean> => (await processGroupMembers(pgid)).length === 0;
  signalGroup(pgid, 'SIGTERM');
  if (await waitFor(groupGone, { timeoutMs: graceMs })) return;
  signalGroup(pgid, 'SIGKILL');
  if (await waitFor(groupGone, { timeoutMs: 5000 })) return;
  const left = await processGroupMembers(pgid);
  throw new LocalStackError(
    'BACKEND_WOULD_NOT_STOP',
    `processes ${left.join(', ')} of group ${pgid} survived SIGKILL; check them with \`ps -o pid,stat,args -g ${pgid}\`.`,
  );
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Fails when something already listens on the port. Checked before starting a backend because
 * the backend's own "address in use" would only surface as a crash in its log.
 */
export async function assertPortFree(port: number, owner: string, portSetting: string): Promise<void> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1', exclusive: true }, resolve);
    });
  } catch (error) {
    throw new LocalStackError(
      'PORT_TAKEN',
      `port ${port} is needed for ${owner} but another program, not this stack, is using it. ` +
        `Stop that program, or pick another port: ${portSetting}=<port> pnpm stack up`,
      { cause: error },
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

interface ProcessEntry {
  pid: number;
  pgid: number;
  args: string;
}

/**
 * Live processes from `ps` (the one tool that reads pids, groups and command lines the same way on
 * Linux and macOS). Zombies are left out: they have exited and only wait for their parent to
 * collect them (the test runner that spawned a backend collects it moments later).
 */
async function listProcesses(): Promise<ProcessEntry[]> {
  const { stdout } = await execFileAsync('ps', ['-A', '-ww', '-o', 'pid=,pgid=,stat=,args='], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const entries: ProcessEntry[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (match === null || match[3]?.startsWith('Z')) continue;
    entries.push({ pid: Number(match[1]), pgid: Number(match[2]), args: match[4] ?? '' });
  }
  return entries;
}
