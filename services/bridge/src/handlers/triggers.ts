import type { HandlerContext } from '@ocf/runtime';
import type { FleetEvent } from '@ocf/events';
import type { ActContext } from '../reconcile/act-for-agent.ts';

/** The events routed to the bridge (shared/routing SUBSCRIPTIONS). */
export type BridgeTrigger =
  | 'AgentHired'
  | 'AgentUpdated'
  | 'AgentRetired'
  | 'CredentialsIssued'
  | 'CredentialsRotated'
  | 'AgentBudgetThresholdReached'
  | 'AgentBudgetExhausted';

/** What the reconcile logic needs from a delivery. */
export function actContext(event: FleetEvent<BridgeTrigger>, context: HandlerContext): ActContext {
  return {
    logger: context.logger,
    signal: context.signal,
    isFinalAttempt: context.isFinalAttempt,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.eventId,
  };
}
