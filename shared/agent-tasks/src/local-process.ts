import { readFileSync } from 'node:fs';

/**
 * Whether a local agent's process is still the one task.json names. Synchronous on purpose: it
 * runs in tight loops and plain functions.
 */

/** The process is there and is the one we started (same start time), not a reused pid. */
export function isAlive(task: { readonly pid: number; readonly startTicks?: number | undefined }): boolean {
  try {
    process.kill(task.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = statOf(task.pid);
  if (stat === undefined) return true; // no /proc: the signal check is all there is
  // A zombie has exited; only its parent has not collected it yet.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return task.startTicks === undefined || stat.startTicks === task.startTicks;
}

/** The process's start time in clock ticks since boot; undefined off Linux or when it is gone. */
export function startTicksOf(pid: number): number | undefined {
  return statOf(pid)?.startTicks;
}

function statOf(pid: number): { state: string | undefined; startTicks: number | undefined } | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Fields 3 (state) and 22 (start time) of /proc/<pid>/stat; the command name (field 2) may
 * contain spaces and parentheses, so fields are counted from its closing parenthesis.
 */
function parseStat(stat: string): { state: string | undefined; startTicks: number | undefined } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  return { state: fields[0], startTicks: Number.isFinite(startTicks) ? startTicks : undefined };
}
