import type { SweepPage, VersionedRecords } from '@ocf/runtime';
import type { TaskObservation } from './domain/decisions.ts';
import type { HealthRecord } from './domain/projection.ts';

export type { TaskObservation } from './domain/decisions.ts';

/** A task health watches: whose it is and which one. */
export interface WatchedTask {
  readonly agentId: string;
  readonly taskArn: string;
}

/**
 * How health sees tasks: DescribeTasks on ECS (adapters/ecs-task-observer.ts), the process table
 * and a health probe for local agents (adapters/local-task-observer.ts), a Map in unit tests.
 */
export interface TaskObserver {
  readonly kind: 'ecs' | 'local' | 'memory';
  /** One observation per task asked about, keyed by task ARN. */
  observe(tasks: readonly WatchedTask[], signal?: AbortSignal): Promise<Map<string, TaskObservation>>;
  check(): Promise<void>;
}

/**
 * Health's table: one record per agent, written only if nobody wrote it since it was read
 * (compare-and-set on `version`, as @ocf/runtime's VersionedRecords).
 */
export interface HealthStore extends VersionedRecords<HealthRecord> {
  /**
   * One page of at most `limit` records from `cursor` (undefined: the first page). The monitor
   * loads its view with these once, then resyncs it a page at a time (ADR 0029): never a whole
   * table in one go on a timer.
   */
  page(cursor: unknown, limit: number): Promise<SweepPage<HealthRecord>>;
}

export type { MetricsSink } from '@ocf/metrics';
