import type { AnyFleetEvent } from '@ocf/events';
import type { AgentStateStore } from '../ports.ts';
import type { AgentSecretCheck } from '../secret-check.ts';

/** What the provisioning handlers are made of. main.ts passes the real things, tests pass fakes. */
export interface ProvisioningDeps {
  readonly store: AgentStateStore;
  /** A secret ARN an event carries is checked to be the agent's own before anything uses it. */
  readonly secrets: AgentSecretCheck;
  /**
   * Asks the reconcile loop for a pass over the agent the event named (ADR 0029); handlers never
   * start or stop tasks themselves.
   */
  readonly reconcile: (reason: string, agentId: string) => void;
  /** Reports the agent's current launch again, as the same event (the reconciler's `reannounce`). */
  readonly reannounce: (agentId: string) => Promise<unknown>;
}

/** An event's time, normalised to UTC so facts compare as strings. */
export function occurredAt(event: AnyFleetEvent): string {
  return new Date(event.metadata.occurredAt).toISOString();
}

/** The identity of an event, for the facts that remember which event told them. */
export function eventFact(event: AnyFleetEvent): { at: string; eventId: string; correlationId: string } {
  return {
    at: occurredAt(event),
    eventId: event.metadata.eventId,
    correlationId: event.metadata.correlationId,
  };
}
