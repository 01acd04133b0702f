import { join } from 'node:path';
import { isAlive, readLocalExitFile, readLocalStopFile, readLocalTaskFile } from '@ocf/agent-tasks';
import type { TaskObservation } from '../domain/decisions.ts';
import type { TaskObserver } from '../ports.ts';

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
    const task = await readLocalTaskFile(dir);
    if (task !== undefined && task.taskArn !== taskArn)
      return { status: 'missing', health: 'unknown', reason: 'task replaced' };
    // No task.json: provisioning removes it once a task it stopped has exited (and at
    // retirement); exit.json and stop.json still say how that task ended.
    if (task === undefined || !isAlive(task)) {
      const exit = await readLocalExitFile(dir);
      const stop = await readLocalStopFile(dir);
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
      return task === undefined
        ? { status: 'missing', health: 'unknown', reason: 'no task file' }
        : { status: 'stopped', health: 'unknown', reason: 'process exited' };
    }
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
