import type { OutboxEvent, VersionedRecords } from '@ocf/runtime';
import type { AgentRecord, AgentStatus } from './domain/agent.ts';
import type { ResyncMark } from './domain/resync.ts';
import type { Level } from '@ocf/events';

/**
 * An event the directory owes the bus, stored in the agent's own record in the same write as the
 * change that caused it (the shared record-with-outbox block in @ocf/runtime).
 */
export type PendingEvent = OutboxEvent;

export interface StoredAgent extends AgentRecord {
  readonly outbox: readonly PendingEvent[];
  /** The cascade resync's last announcement for this agent (ADR 0024). */
  readonly resync?: ResyncMark | undefined;
}

export interface AgentFilter {
  readonly department?: string | undefined;
  readonly team?: string | undefined;
  readonly level?: Level | undefined;
  readonly status?: AgentStatus | undefined;
  readonly managerId?: string | undefined;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  readonly cursor?: string | undefined;
}

/**
 * Where the directory keeps agents. Every write is conditional (compare-and-set on `version`;
 * `version: 1` only if the id is not recorded at all), as @ocf/runtime's VersionedRecords.
 */
export interface AgentStore extends VersionedRecords<StoredAgent> {
  list(filter: AgentFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<StoredAgent>>;
  /** Agents whose outbox still holds events. */
  withPendingEvents(limit: number): Promise<readonly StoredAgent[]>;
  /**
   * Agents written after `since` (an ISO time from an earlier change, or any ISO time), oldest
   * first, each with the time of its last write. Reads only what changed: a Query on the change
   * index, never a listing of everyone. Written a moment ago may show a moment late (the index is
   * eventually consistent), so a follower asks again a little behind its newest change.
   */
  changedSince(since: string, limit: number): Promise<readonly AgentChange[]>;
}

/** An agent as of one write, and when that write happened (the writer's clock). */
export interface AgentChange {
  readonly agent: StoredAgent;
  readonly changedAt: string;
}

/**
 * How many messages wait, not yet taken, on the queues of the steps that move an agent on from
 * `status` (hired: credentials; credentials-issued: the bridge; ...). The cascade resync asks it
 * to tell a slow step from a lost event: a step still working through its queue is slow.
 */
export type StepBacklog = (status: AgentStatus) => Promise<number>;
