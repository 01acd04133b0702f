import {
  DescribeClustersCommand,
  DescribeTasksCommand,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import { FLEET_STOP_PREFIX } from '@ocf/agent-tasks';
import type { TaskObservation } from '../domain/decisions.ts';
import type { TaskObserver } from '../ports.ts';

/**
 * Tasks as ECS reports them (DescribeTasks, 100 at a time). The state-change events on the
 * default bus only tell health when to look; this is what it believes (ADR 0011).
 */
export function createEcsTaskObserver(options: {
  ecs: Pick<ECSClient, 'send'>;
  cluster: string;
}): TaskObserver {
  const { ecs, cluster } = options;
  return {
    kind: 'ecs',
    async observe(tasks, signal) {
      const result = new Map<string, TaskObservation>();
      const arns = [...new Set(tasks.map((t) => t.taskArn))];
      for (let i = 0; i < arns.length; i += 100) {
        const batch = arns.slice(i, i + 100);
        const { tasks: described = [], failures = [] } = await ecs.send(
          // TAGS although health does not read them: moto 5.2.5 keeps this switch in state shared
          // by concurrent requests, and provisioning's DescribeTasks needs the tags.
          new DescribeTasksCommand({ cluster, tasks: batch, include: ['TAGS'] }),
          signal === undefined ? {} : { abortSignal: signal },
        );
        for (const task of described) {
          if (task.taskArn !== undefined && batch.includes(task.taskArn))
            result.set(task.taskArn, toObservation(task));
        }
        for (const failure of failures) {
          if (failure.arn !== undefined && !result.has(failure.arn)) {
            result.set(failure.arn, {
              status: 'missing',
              health: 'unknown',
              reason: `ECS: ${failure.reason ?? 'MISSING'}`,
            });
          }
        }
        // A task ECS no longer knows at all (stopped long ago) comes back as neither.
        for (const arn of batch) {
          if (!result.has(arn))
            result.set(arn, { status: 'missing', health: 'unknown', reason: 'ECS does not know the task' });
        }
      }
      return result;
    },
    async check() {
      const { clusters = [] } = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
      if (clusters[0]?.status !== 'ACTIVE') throw new Error(`ECS cluster ${cluster} is not active`);
    },
  };
}

/** ECS's view of one task, in health's terms. */
export function toObservation(task: Task): TaskObservation {
  const essential = task.containers?.find((c) => c.exitCode !== undefined) ?? task.containers?.[0];
  const last = task.lastStatus ?? 'UNKNOWN';
  if (
    ['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED', 'DELETED'].includes(last) ||
    task.desiredStatus === 'STOPPED'
  ) {
    const reason = [task.stopCode, task.stoppedReason, essential?.reason]
      .filter((r) => r !== undefined && r !== '')
      .join(': ');
    return {
      status: 'stopped',
      health: 'unknown',
      reason: reason === '' ? `task ${last.toLowerCase()}` : reason,
      ...(task.stoppedReason?.startsWith(FLEET_STOP_PREFIX) === true ? { byFleet: true } : {}),
      ...(essential?.exitCode === undefined ? {} : { exitCode: essential.exitCode }),
    };
  }
  if (last !== 'RUNNING') return { status: 'pending', health: 'unknown' };
  const health = task.healthStatus ?? essential?.healthStatus ?? 'UNKNOWN';
  return health === 'UNHEALTHY'
    ? { status: 'running', health: 'unhealthy', reason: 'container health check reports UNHEALTHY' }
    : { status: 'running', health: health === 'HEALTHY' ? 'healthy' : 'unknown' };
}
