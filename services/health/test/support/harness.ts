import { createEvent, type EventDataInput, type EventType, type FleetEvent } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { createMemoryPublisher, type HandlerContext } from '@ocf/runtime';
import { createMemoryMetrics } from '@ocf/metrics';
import { createMemoryHealthStore } from '../../src/adapters/memory-health-store.ts';
import { createMemoryTaskObserver } from '../../src/adapters/memory-task-observer.ts';
import type { HealthPolicy } from '../../src/domain/decisions.ts';
import { createHandlers } from '../../src/handlers/index.ts';
import { createMonitor } from '../../src/monitor.ts';
import type { HealthStore } from '../../src/ports.ts';

export const T0 = new Date('2026-11-25T10:00:00.000Z');
export const POLICY: HealthPolicy = {
  failureWindowMs: 10 * 60_000,
  maxFailures: 3,
  backoffBaseMs: 10_000,
  backoffMaxMs: 60_000,
  unhealthyGraceMs: 30_000,
  launchTimeoutMs: 120_000,
};

/**
 * Health over in-memory adapters and a fake clock: the store, an observer whose answers the test
 * sets per task, a recording publisher and metrics sink. `deliver` plays the consumer's part.
 */
export function healthHarness(
  policy: HealthPolicy = POLICY,
  resync: { readonly intervalMs?: number; readonly pageSize?: number } = {},
  sweep: { readonly intervalMs?: number; readonly pageSize?: number } = {},
) {
  const clock = { now: T0.getTime() };
  const store = createMemoryHealthStore();
  /** What the monitor read from its table: pages (with their sizes) and single records. */
  const reads = { pages: [] as number[], gets: 0 };
  const counted: HealthStore = {
    write: store.write,
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
  const observer = createMemoryTaskObserver();
  const publisher = createMemoryPublisher();
  const metrics = createMemoryMetrics();
  const logger = createMemoryLogger();
  let ids = 0;
  const monitor = createMonitor({
    store: counted,
    observer,
    publisher,
    metrics,
    logger,
    policy,
    environment: 'test',
    pollIntervalMs: 1_000,
    ...(resync.intervalMs === undefined ? {} : { resyncIntervalMs: resync.intervalMs }),
    ...(resync.pageSize === undefined ? {} : { resyncPageSize: resync.pageSize }),
    ...(sweep.intervalMs === undefined ? {} : { sweepIntervalMs: sweep.intervalMs }),
    ...(sweep.pageSize === undefined ? {} : { sweepPageSize: sweep.pageSize }),
    metricsIntervalMs: 60_000,
    now: () => new Date(clock.now),
    newId: () => `health-event-${++ids}`,
  });
  const handlers = createHandlers(monitor);

  async function deliver<T extends EventType>(
    type: T,
    data: EventDataInput<T>,
    source = 'ocf.test',
  ): Promise<FleetEvent<T>> {
    const event: FleetEvent<T> = { ...createEvent(type, data, { now: new Date(clock.now) }), source };
    const context: HandlerContext = {
      logger,
      signal: new AbortController().signal,
      receiveCount: 1,
      isFinalAttempt: false,
      emit: () => Promise.reject(new Error('health handlers publish through the monitor')),
    };
    const handler = handlers[type];
    if (handler === undefined) throw new Error(`health has no handler for ${type}`);
    await handler(event, context);
    return event;
  }

  /** Hired, credentials, chat account, a launched task: what health hears before it watches. */
  async function launched(agentId: string, taskArn = `arn:task/${agentId}-1`): Promise<void> {
    await deliver(
      'AgentHired',
      { agentId, name: agentId, title: 'T', level: 'ic', department: 'D', managerId: 'ceo' },
      'ocf.directory',
    );
    clock.now += 1_000;
    await deliver('CredentialsIssued', {
      agentId,
      secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/${agentId}-a1B2c3`,
      restored: false,
    });
    clock.now += 1_000;
    await deliver('ChatAccountReady', { agentId, matrixUserId: `@agent-${agentId}:fleet.test` });
    clock.now += 1_000;
    await deliver('AgentLaunching', { agentId, taskArn });
    clock.now += 1_000;
  }

  return {
    clock,
    store,
    reads,
    observer,
    publisher,
    metrics,
    logger,
    monitor,
    deliver,
    launched,
    types: () => publisher.published.map((e) => e.type),
    published: <T extends EventType>(type: T) =>
      publisher.published.filter((e) => e.type === type).map((e) => e.data as EventDataInput<T>),
  };
}
