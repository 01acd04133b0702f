import type { EventHandler } from '@ocf/runtime';
import { eventFact, type ProvisioningDeps } from './deps.ts';

/**
 * AgentWakeRequested (a mention or direct message the bridge saw, or an operator) -> a sleeping
 * agent gets a task again; AgentAwake answers with the wake's `seenAt` (ADR 0019). Delivered twice,
 * it is the same fact: one launch, with one client token.
 */
export function onAgentWakeRequested(deps: ProvisioningDeps): EventHandler<'AgentWakeRequested'> {
  return async (event, context) => {
    const { agentId, reason, seenAt } = event.data;
    const outcome = await deps.store.recordFact(agentId, 'wake', {
      ...eventFact(event),
      reason,
      seenAt: new Date(seenAt).toISOString(),
    });
    context.logger.info('wake request recorded', { outcome, reason });
    deps.reconcile(`AgentWakeRequested ${agentId}`, agentId);
  };
}
