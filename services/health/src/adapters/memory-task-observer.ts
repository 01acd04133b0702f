import type { TaskObservation } from '../domain/decisions.ts';
import type { TaskObserver } from '../ports.ts';

/** Observations set by the test, per task ARN (default: running and healthy). */
export function createMemoryTaskObserver(): TaskObserver & {
  readonly tasks: Map<string, TaskObservation>;
  calls: number;
  /** The task ARNs each call asked about, in order. */
  readonly asked: string[][];
} {
  const tasks = new Map<string, TaskObservation>();
  const state = {
    kind: 'memory' as const,
    tasks,
    calls: 0,
    asked: [] as string[][],
    observe(watched: readonly { taskArn: string }[]) {
      state.calls++;
      state.asked.push(watched.map((t) => t.taskArn));
      return Promise.resolve(
        new Map(
          watched.map((t) => [
            t.taskArn,
            tasks.get(t.taskArn) ?? { status: 'running' as const, health: 'healthy' as const },
          ]),
        ),
      );
    },
    check: () => Promise.resolve(),
  };
  return state;
}
