import { createEvent, type EventDataInput, type EventType, type FleetEvent } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { createMemoryPublisher, type EventHandler, type HandlerContext } from '@ocf/runtime';
import { createMemoryAgentStateStore } from '../../src/adapters/memory-agent-state.ts';
import { createMemoryTaskRunner } from '../../src/adapters/memory-task-runner.ts';
import { createHandlers } from '../../src/handlers/index.ts';
import { createLaunchLimiter } from '../../src/launch-limiter.ts';
import type { AgentStateStore } from '../../src/ports.ts';
import { createReconciler, type ReconcilerDeps } from '../../src/reconciler.ts';
import { nameTrustingSecretCheck } from './secret-check.ts';
import { T0 } from './records.ts';

/**
 * Provisioning over in-memory adapters and a fake clock: the store, a task runner with ECS's
 * clientToken idempotency, a recording publisher, and a launch limiter whose sleeps move the
 * clock instead of waiting. `deliver` plays the consumer's part for one event.
 */
export function provisioningHarness(
  options: Partial<
    Pick<ReconcilerDeps, 'launchConcurrency' | 'maxThrottledAttempts' | 'resyncIntervalMs' | 'resyncPageSize'>
  > & {
    burst?: number;
    rate?: number;
  } = {},
) {
  const clock = { now: T0.getTime() };
  const now = () => new Date(clock.now);
  const store = createMemoryAgentStateStore();
  /** What the reconciler read from its table: pages (with their sizes) and single records. */
  const reads = { pages: [] as number[], gets: 0 };
  const counted: AgentStateStore = {
    ...store,
    get: (agentId) => {
      reads.gets++;
      return store.get(agentId);
    },
    page: async (cursor, limit) => {
      const page = await store.page(cursor, limit);
      reads.pages.push(page.items.length);
      return page;
    },
  };
  const tasks = createMemoryTaskRunner({ now });
  const publisher = createMemoryPublisher();
  const logger = createMemoryLogger();
  const launchTimes: number[] = [];
  const runner = {
    ...tasks.runner,
    launch: async (request: Parameters<typeof tasks.runner.launch>[0]) => {
      const result = await tasks.runner.launch(request);
      launchTimes.push(clock.now);
      return result;
    },
  };
  const sleep = async (ms: number) => {
    clock.now += ms;
    await Promise.resolve();
  };
  const makeReconciler = () =>
    createReconciler({
      store: counted,
      runner,
      publisher,
      logger,
      now,
      limiter: createLaunchLimiter({
        bucket: { capacity: options.burst ?? 100, refillPerSecond: options.rate ?? 20 },
        now: () => clock.now,
        sleep,
      }),
      resyncIntervalMs: options.resyncIntervalMs ?? 60_000,
      ...(options.resyncPageSize === undefined ? {} : { resyncPageSize: options.resyncPageSize }),
      ...(options.launchConcurrency === undefined ? {} : { launchConcurrency: options.launchConcurrency }),
      ...(options.maxThrottledAttempts === undefined
        ? {}
        : { maxThrottledAttempts: options.maxThrottledAttempts }),
    });
  const triggers: string[] = [];
  const reconciler = makeReconciler();
  const handlers = createHandlers({
    store,
    secrets: nameTrustingSecretCheck('test'),
    reconcile: (reason) => {
      triggers.push(reason);
    },
    reannounce: (agentId) => reconciler.reannounce(agentId),
  });

  async function deliver<T extends EventType>(
    type: T,
    data: EventDataInput<T>,
    options: { source?: string; at?: Date; eventId?: string } = {},
  ): Promise<FleetEvent<T>> {
    const draft = createEvent(type, data, {
      now: options.at ?? now(),
      ...(options.eventId === undefined ? {} : { eventId: options.eventId }),
    });
    const event: FleetEvent<T> = { ...draft, source: options.source ?? 'ocf.test' };
    const context: HandlerContext = {
      logger,
      signal: new AbortController().signal,
      receiveCount: 1,
      isFinalAttempt: false,
      emit: () => Promise.reject(new Error('provisioning handlers publish nothing')),
    };
    const handler = (handlers as Record<string, EventHandler<T>>)[type];
    if (handler === undefined) throw new Error(`no handler for ${type}`);
    await handler(event, context);
    return event;
  }

  /** AgentHired + CredentialsIssued + ChatAccountReady for each agent, as the cascade delivers them. */
  async function hireReady(agentId: string): Promise<void> {
    await deliver('AgentHired', {
      agentId,
      name: agentId,
      title: 'Engineer',
      level: 'ic',
      department: 'Engineering',
      managerId: 'ceo',
    });
    await deliver('CredentialsIssued', {
      agentId,
      secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/${agentId}-a1B2c3`,
      restored: false,
    });
    clock.now += 1;
    await deliver('ChatAccountReady', { agentId, matrixUserId: `@agent-${agentId}:fleet.test` });
    clock.now += 1;
  }

  return {
    clock,
    store,
    reads,
    tasks,
    runner,
    publisher,
    logger,
    launchTimes,
    triggers,
    deliver,
    hireReady,
    reconciler,
    /** A fresh reconciler over the same store and tasks: provisioning after a restart. */
    restart: makeReconciler,
    published: <T extends EventType>(type: T) =>
      publisher.published.filter((e) => e.type === type) as unknown as {
        type: T;
        data: EventDataInput<T>;
        metadata: { eventId: string; occurredAt: string; correlationId: string; causationId?: string };
      }[],
  };
}
