import type { EventType } from '@ocf/events';
import type { AgentRecord, AgentStatus } from './domain/agent.ts';
import type { Level } from '@ocf/events';

/**
 * An event the directory owes the bus, stored in the agent's own record in the same write as the
 * change that caused it (a transactional outbox in one item). Published right after the write;
 * if that fails, the outbox sweeper publishes it later with the same event id.
 */
export interface PendingEvent {
  readonly eventId: string;
  readonly type: EventType;
  readonly data: Record<string, unknown>;
  readonly correlationId: string;
  readonly causationId?: string | undefined;
  readonly occurredAt: string;
}

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

/** Where the directory keeps agents. Every write is conditional: create-if-absent or compare-and-set on `version`. */
export interface AgentStore {
  get(agentId: string): Promise<StoredAgent | undefined>;
  /** `exists` when an agent with this id is already recorded (whatever its data). */
  create(agent: StoredAgent): Promise<'created' | 'exists'>;
  /** Writes `next` only if the stored version is still `next.version - 1`. */
  update(next: StoredAgent): Promise<'updated' | 'conflict'>;
  list(filter: AgentFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<StoredAgent>>;
  /** Agents whose outbox still holds events. */
  withPendingEvents(limit: number): Promise<readonly StoredAgent[]>;
}
