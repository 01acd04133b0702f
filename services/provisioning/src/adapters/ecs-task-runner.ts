import {
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type KeyValuePair,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import {
  agentTaskDefinition,
  agentTaskDefinitionFamily,
  MANAGED_BY,
  resolvesSecretItself,
  TAGS,
} from '../domain/agent-task-definition.ts';
import { FLEET_STOP_PREFIX } from '@ocf/agent-tasks';
import { TaskRunnerError, type Call, type ObservedTask, type TaskRunner } from '../ports.ts';
import { abortable, toTaskRunnerError } from './aws-errors.ts';
import type { EfsAgentStorage } from './efs-agent-storage.ts';

export interface EcsTaskRunnerOptions {
  readonly ecs: Pick<ECSClient, 'send'>;
  readonly storage: EfsAgentStorage;
  readonly environment: string;
  readonly cluster: string;
  /** Family (latest active revision) or ARN of the base task definition infra deploys. */
  readonly baseTaskDefinition: string;
  /** The agent's container in the base definition; default: its first essential container. */
  readonly containerName?: string | undefined;
  /** Where the agent's private storage is mounted in its container. */
  readonly mountPath: string;
  /** Private subnets and security groups of the agents; tasks get no public IP. */
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  /** Non-secret settings every agent gets besides its own (e.g. the homeserver URL). */
  readonly agentEnvironment?: Readonly<Record<string, string>>;
  /** How long a description of the base task definition is reused. */
  readonly baseCacheMs?: number;
  readonly now?: () => number;
}

/** Every task provisioning starts carries this `startedBy`, so listing ours is one filter. */
export const STARTED_BY = MANAGED_BY;

/**
 * Agents as ECS Fargate tasks (on AWS and on the emulator):
 * - observe: ListTasks (the cluster's tasks meant to run) + DescribeTasks with tags, 100 at a time,
 *   of those not already known to be ours and running, or not ours (a pass no longer describes
 *   every task); ours are those with our `startedBy`;
 * - launch: the agent's access point, its own task definition revision mounting it (registered
 *   only when the base or the storage changed), then RunTask with one task, the agent's tags, its
 *   secret's ARN (never a value), private subnets, no public IP, and the launch's clientToken;
 * - stop: StopTask; release: the access point goes, the agent's definition is deregistered.
 * RunTask starts `count` identical copies with the same tags and overrides, so agents cannot
 * share a call: one call per agent, paced by the reconciler's launch limiter.
 */
export function createEcsTaskRunner(options: EcsTaskRunnerOptions): TaskRunner {
  const { ecs, storage, cluster } = options;
  const now = options.now ?? Date.now;
  const baseCacheMs = options.baseCacheMs ?? 60_000;
  let base: { definition: TaskDefinition; containerName: string; at: number } | undefined;
  // The registered revision per agent and the spec it was made from.
  const registered = new Map<string, { arn: string; spec: string }>();
  // Tasks seen RUNNING, by ARN, as long as ListTasks still lists them (see observe).
  const running = new Map<string, ObservedTask>();
  // Tasks someone else started in the cluster, as long as ListTasks still lists them (see observe).
  const notOurs = new Set<string>();

  async function send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toTaskRunnerError(operation, error);
    }
  }

  async function baseDefinition(call?: Call): Promise<{ definition: TaskDefinition; containerName: string }> {
    if (base !== undefined && now() - base.at < baseCacheMs) return base;
    const { taskDefinition } = await send(`DescribeTaskDefinition ${options.baseTaskDefinition}`, () =>
      ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: options.baseTaskDefinition }),
        abortable(call?.signal),
      ),
    );
    if (taskDefinition === undefined) {
      throw new TaskRunnerError(`base task definition ${options.baseTaskDefinition} not found`, {
        retryable: false,
      });
    }
    const containers = taskDefinition.containerDefinitions ?? [];
    const containerName =
      options.containerName ?? (containers.find((c) => c.essential !== false) ?? containers[0])?.name;
    if (containerName === undefined) {
      throw new TaskRunnerError(`base task definition ${options.baseTaskDefinition} has no container`, {
        retryable: false,
      });
    }
    base = { definition: taskDefinition, containerName, at: now() };
    return base;
  }

  async function agentDefinitionArn(
    agentId: string,
    secretArn: string,
    idempotencyToken: string,
    call?: Call,
  ): Promise<string> {
    const { definition, containerName } = await baseDefinition(call);
    const accessPoint = await storage.ensure(agentId, idempotencyToken, call);
    let desired: ReturnType<typeof agentTaskDefinition>;
    try {
      desired = agentTaskDefinition(definition, {
        agentId,
        environment: options.environment,
        secretArn,
        containerName,
        mountPath: options.mountPath,
        storage: accessPoint,
      });
    } catch (error) {
      throw new TaskRunnerError((error as Error).message, { retryable: false, cause: error });
    }
    const family = desired.request.family ?? agentTaskDefinitionFamily(definition.family ?? '', agentId);
    const cached = registered.get(agentId);
    if (cached?.spec === desired.spec) return cached.arn;

    // Registered before (by this process before a restart, or another instance)? Reuse it.
    try {
      const existing = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }),
        abortable(call?.signal),
      );
      const arn = existing.taskDefinition?.taskDefinitionArn;
      const spec = existing.tags?.find((t) => t.key === TAGS.spec)?.value;
      if (arn !== undefined && existing.taskDefinition?.status !== 'INACTIVE' && spec === desired.spec) {
        registered.set(agentId, { arn, spec });
        return arn;
      }
    } catch (error) {
      const mapped = toTaskRunnerError(`DescribeTaskDefinition ${family}`, error);
      // A family never registered answers with a client error; anything else is a real failure.
      if (mapped.retryable) throw mapped;
    }
    const { taskDefinition } = await send(`RegisterTaskDefinition ${family}`, () =>
      ecs.send(new RegisterTaskDefinitionCommand(desired.request), abortable(call?.signal)),
    );
    const arn = taskDefinition?.taskDefinitionArn;
    if (arn === undefined)
      throw new TaskRunnerError(`RegisterTaskDefinition ${family} returned no ARN`, { retryable: true });
    registered.set(agentId, { arn, spec: desired.spec });
    return arn;
  }

  /**
   * The agent a task belongs to by its task definition (`<base family>-<agentId>`), for a task
   * described without its tags. moto 5.2.5 keeps DescribeTasks' `include: TAGS` in a class-level
   * switch shared by concurrent requests, so a task can come back untagged; an agent must not be
   * stopped for that.
   */
  async function agentOfDefinition(taskDefinitionArn: string | undefined): Promise<string | undefined> {
    const family = taskDefinitionArn?.split('/').pop()?.split(':')[0];
    const { definition } = await baseDefinition();
    const prefix = `${definition.family ?? ''}-`;
    if (family === undefined || !family.startsWith(prefix)) return undefined;
    return family.slice(prefix.length);
  }

  return {
    kind: 'ecs',

    async observe(call) {
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await send('ListTasks', () =>
          ecs.send(
            // Ours are picked by their startedBy below, not here: ListTasks allows no other filter
            // beside `startedBy` (the ECS API reference), and the desired status must be one, as
            // the emulator applies no default and would list stopped tasks too.
            new ListTasksCommand({
              cluster,
              desiredStatus: 'RUNNING',
              maxResults: 100,
              nextToken,
            }),
            abortable(call?.signal),
          ),
        );
        arns.push(...(page.taskArns ?? []));
        nextToken = page.nextToken;
      } while (nextToken !== undefined);

      // A running task's agent and start never change, nor does who started a task, and ListTasks
      // (desired RUNNING) drops a task once it is stopping: only tasks not yet seen running, and
      // not known to be someone else's, need describing.
      const listed = new Set(arns);
      for (const arn of running.keys()) if (!listed.has(arn)) running.delete(arn);
      for (const arn of notOurs) if (!listed.has(arn)) notOurs.delete(arn);
      const observed: ObservedTask[] = [];
      const unknown: string[] = [];
      for (const arn of arns) {
        const known = running.get(arn);
        if (known !== undefined) observed.push(known);
        else if (!notOurs.has(arn)) unknown.push(arn);
      }
      for (let i = 0; i < unknown.length; i += 100) {
        const batch = unknown.slice(i, i + 100);
        const { tasks = [] } = await send('DescribeTasks', () =>
          ecs.send(
            new DescribeTasksCommand({ cluster, tasks: batch, include: ['TAGS'] }),
            abortable(call?.signal),
          ),
        );
        for (const task of tasks) {
          if (task.taskArn === undefined || !batch.includes(task.taskArn)) continue;
          // Not ours: never a stray to stop, whatever it runs.
          if (task.startedBy !== STARTED_BY) {
            notOurs.add(task.taskArn);
            continue;
          }
          if (task.lastStatus === 'STOPPED' || task.desiredStatus === 'STOPPED') continue;
          const seen: ObservedTask = {
            taskArn: task.taskArn,
            agentId:
              task.tags?.find((t) => t.key === TAGS.agentId)?.value ??
              (await agentOfDefinition(task.taskDefinitionArn)),
            startedAt: task.createdAt?.toISOString(),
          };
          observed.push(seen);
          if (task.lastStatus === 'RUNNING' && seen.agentId !== undefined) running.set(task.taskArn, seen);
        }
      }
      return observed;
    },

    async launch(request) {
      const { agentId, signal } = request;
      const taskDefinition = await agentDefinitionArn(agentId, request.secretArn, request.clientToken, {
        signal,
      });
      const { definition, containerName } = await baseDefinition({ signal });
      const environment: KeyValuePair[] = Object.entries({
        ...options.agentEnvironment,
        OCF_ENV: options.environment,
        OCF_AGENT_ID: agentId,
        // With the template's secret-init container the agent reads a file ECS wrote (ADR 0008),
        // and has no use for the ARN; without one it reads its secret by ARN.
        ...(resolvesSecretItself(definition) ? {} : { OCF_AGENT_SECRET_ARN: request.secretArn }),
        OCF_AGENT_DATA_DIR: options.mountPath,
      }).map(([name, value]) => ({ name, value }));
      const result = await send(`RunTask for agent ${agentId}`, () =>
        ecs.send(
          new RunTaskCommand({
            cluster,
            taskDefinition,
            count: 1,
            launchType: 'FARGATE',
            clientToken: request.clientToken,
            startedBy: STARTED_BY,
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: [...options.subnets],
                securityGroups: [...options.securityGroups],
                assignPublicIp: 'DISABLED',
              },
            },
            overrides: { containerOverrides: [{ name: containerName, environment }] },
            tags: [
              { key: TAGS.agentId, value: agentId },
              { key: TAGS.environment, value: options.environment },
              { key: TAGS.managedBy, value: MANAGED_BY },
            ],
            enableECSManagedTags: true,
          }),
          abortable(signal),
        ),
      );
      const taskArn = result.tasks?.[0]?.taskArn;
      if (taskArn === undefined) {
        const reasons = (result.failures ?? []).map(
          (f) => `${f.reason ?? 'unknown'}${f.detail ? ` (${f.detail})` : ''}`,
        );
        // Capacity and placement failures pass; the reconciler retries with back-off.
        throw new TaskRunnerError(
          `RunTask for agent ${agentId} started nothing: ${reasons.join('; ') || 'no reason given'}`,
          {
            retryable: true,
          },
        );
      }
      return { taskArn };
    },

    async stop(request) {
      try {
        await ecs.send(
          new StopTaskCommand({
            cluster,
            task: request.taskArn,
            reason: `${FLEET_STOP_PREFIX}${request.reason}`.slice(0, 255),
          }),
          abortable(request.signal),
        );
      } catch (error) {
        const mapped = toTaskRunnerError(`StopTask ${request.taskArn}`, error);
        // A task that is gone already is what we wanted.
        if (!mapped.retryable && /not found|could not find/i.test(mapped.message)) return;
        throw mapped;
      }
    },

    async releaseStorage(agentId, call) {
      const released = await storage.release(agentId, call);
      const { definition } = await baseDefinition(call);
      const family = agentTaskDefinitionFamily(definition.family ?? '', agentId);
      const { taskDefinitionArns = [] } = await send(`ListTaskDefinitions ${family}`, () =>
        ecs.send(
          new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE' }),
          abortable(call?.signal),
        ),
      );
      for (const arn of taskDefinitionArns) {
        // familyPrefix is a prefix: agent "ada" must not deregister agent "ada-lovelace"'s.
        if (!arn.includes(`:task-definition/${family}:`)) continue;
        await send(`DeregisterTaskDefinition ${arn}`, () =>
          ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }), abortable(call?.signal)),
        );
      }
      registered.delete(agentId);
      return released;
    },

    async check() {
      const { clusters = [] } = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
      if (clusters[0]?.status !== 'ACTIVE') throw new Error(`ECS cluster ${cluster} is not active`);
    },
  };
}
