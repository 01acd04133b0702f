import type { OutboxEvent, VersionedRecords } from '@ocf/runtime';
import type { AgentRecord, AgentStatus } from './domain/agent.ts';
import type { Level } from '@ocf/events';

/**
 * An event the directory owes the bus, stored in the agent's own record in the same write as the
 * change that caused it (the shared record-with-outbox block in @ocf/runtime).
 */
export type PendingEvent = OutboxEvent;

export interface StoredAgent extends AgentRecord {
  readonly outbox: readonly PendingEvent[];
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
}
