import { TaskRunnerError, type ObservedTask, type TaskRunner } from '../ports.ts';

export interface MemoryTask {
  readonly taskArn: string;
  readonly agentId: string | undefined;
  readonly clientToken: string;
  readonly secretArn: string;
  readonly startedAt: string;
  state: 'running' | 'stopped';
  stopReason?: string;
}

/**
 * Tasks in a Map, for unit tests: clientToken idempotency like ECS, a way to kill tasks behind
 * the fleet's back, and failures on demand (throttling, a permanent refusal).
 */
export function createMemoryTaskRunner(options: { now?: () => Date } = {}) {
  const now = options.now ?? (() => new Date());
  const tasks = new Map<string, MemoryTask>();
  const calls: string[] = [];
  let counter = 0;
  const state = {
    tasks,
    calls,
    /** The next n launches answer "throttled". */
    throttleNext: 0,
    /** Every launch fails with this (until set back to undefined). */
    failLaunchesWith: undefined as TaskRunnerError | undefined,
    released: [] as string[],
    running(agentId?: string): MemoryTask[] {
      return [...tasks.values()].filter(
        (t) => t.state === 'running' && (agentId === undefined || t.agentId === agentId),
      );
    },
    /** A task dies on its own, or someone stops it behind the fleet's back. */
    kill(taskArn: string): void {
      const task = tasks.get(taskArn);
      if (task !== undefined) task.state = 'stopped';
    },
    /** A task the fleet did not start through this runner (another instance, an operator). */
    inject(agentId: string | undefined, startedAt = now().toISOString()): string {
      const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/test/injected-${++counter}`;
      tasks.set(taskArn, {
        taskArn,
        agentId,
        clientToken: `injected-${counter}`,
        secretArn: '',
        startedAt,
        state: 'running',
      });
      return taskArn;
    },
  };

  const runner: TaskRunner = {
    kind: 'memory',
    observe(): Promise<ObservedTask[]> {
      calls.push('observe');
      return Promise.resolve(
        state.running().map((t) => ({ taskArn: t.taskArn, agentId: t.agentId, startedAt: t.startedAt })),
      );
    },
    launch(request) {
      calls.push(`launch:${request.agentId}`);
      if (state.throttleNext > 0) {
        state.throttleNext--;
        return Promise.reject(
          new TaskRunnerError('RunTask throttled: Rate exceeded', { retryable: true, throttled: true }),
        );
      }
      if (state.failLaunchesWith !== undefined) return Promise.reject(state.failLaunchesWith);
      const same = [...tasks.values()].find((t) => t.clientToken === request.clientToken);
      if (same !== undefined) return Promise.resolve({ taskArn: same.taskArn });
      const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/test/${request.agentId}-${++counter}`;
      tasks.set(taskArn, {
        taskArn,
        agentId: request.agentId,
        clientToken: request.clientToken,
        secretArn: request.secretArn,
        startedAt: now().toISOString(),
        state: 'running',
      });
      return Promise.resolve({ taskArn });
    },
    stop(request) {
      calls.push(`stop:${request.taskArn}`);
      const task = tasks.get(request.taskArn);
      if (task !== undefined && task.state === 'running') {
        task.state = 'stopped';
        task.stopReason = request.reason;
      }
      return Promise.resolve();
    },
    releaseStorage(agentId) {
      calls.push(`release:${agentId}`);
      state.released.push(agentId);
      return Promise.resolve({ archiveLocation: `memory://agents/${agentId}` });
    },
    check: () => Promise.resolve(),
  };
  return Object.assign(state, { runner });
}
