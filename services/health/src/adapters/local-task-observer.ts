import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskObservation } from '../domain/decisions.ts';
import type { TaskObserver } from '../ports.ts';

/**
 * The files provisioning's local process runner keeps per agent (docs/fleet.md):
 * `<root>/<agentId>/task.json` for the live task, `exit.json` for how the last one ended. Read
 * here on their own, since services do not import each other.
 */
interface TaskFile {
  readonly taskArn: string;
  readonly pid: number;
  readonly startTicks?: number;
  readonly healthUrl?: string;
}
interface ExitFile {
  readonly taskArn: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Provisioning stopped it on purpose. */
  readonly stoppedBy?: string;
  readonly reason?: string;
}

/**
 * Local agents (child processes of provisioning): alive if their pid runs with the recorded
 * start time, healthy if their health endpoint answers 2xx within the probe timeout.
 */
export function createLocalTaskObserver(options: { root: string; probeTimeoutMs?: number }): TaskObserver {
  const probeTimeoutMs = options.probeTimeoutMs ?? 2_000;

  async function observeOne(
    agentId: string,
    taskArn: string,
    signal?: AbortSignal,
  ): Promise<TaskObservation> {
    const dir = join(options.root, agentId);
    const task = await readJson<TaskFile>(join(dir, 'task.json'));
    if (task === undefined) return { status: 'missing', health: 'unknown', reason: 'no task file' };
    if (task.taskArn !== taskArn) return { status: 'missing', health: 'unknown', reason: 'task replaced' };
    if (!isAlive(task)) {
      const exit = await readJson<ExitFile>(join(dir, 'exit.json'));
      const stop = await readJson<{ taskArn: string; reason: string }>(join(dir, 'stop.json'));
      if (stop?.taskArn === taskArn || (exit?.taskArn === taskArn && exit.stoppedBy !== undefined)) {
        const why = stop?.taskArn === taskArn ? stop.reason : (exit?.reason ?? 'on purpose');
        return {
          status: 'stopped',
          health: 'unknown',
          reason: `stopped by provisioning: ${why}`,
          byFleet: true,
        };
      }
      if (exit?.taskArn === taskArn) {
        return {
          status: 'stopped',
          health: 'unknown',
          reason:
            exit.exitCode !== null
              ? `process exited with code ${exit.exitCode}`
              : `process killed by ${exit.signal ?? 'a signal'}`,
          ...(exit.exitCode === null ? {} : { exitCode: exit.exitCode }),
        };
      }
      return { status: 'stopped', health: 'unknown', reason: 'process exited' };
    }
    if (task.healthUrl === undefined) return { status: 'running', health: 'unknown' };
    try {
      const response = await fetch(task.healthUrl, {
        signal: AbortSignal.any([
          AbortSignal.timeout(probeTimeoutMs),
          ...(signal === undefined ? [] : [signal]),
        ]),
      });
      await response.body?.cancel();
      return response.ok
        ? { status: 'running', health: 'healthy' }
        : { status: 'running', health: 'unhealthy', reason: `health check answered ${response.status}` };
    } catch {
      return {
        status: 'running',
        health: 'unhealthy',
        reason: `health check did not answer within ${probeTimeoutMs} ms`,
      };
    }
  }

  return {
    kind: 'local',
    async observe(tasks, signal) {
      const entries = await Promise.all(
        tasks.map(async (t) => [t.taskArn, await observeOne(t.agentId, t.taskArn, signal)] as const),
      );
      return new Map(entries);
    },
    check: () => Promise.resolve(),
  };
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function isAlive(task: TaskFile): boolean {
  try {
    process.kill(task.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${task.pid}/stat`, 'utf8');
  } catch {
    return true; // no /proc: the signal check is all there is
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  return task.startTicks === undefined || Number(fields[19]) === task.startTicks;
}
