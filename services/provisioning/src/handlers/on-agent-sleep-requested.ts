import type { EventHandler } from '@ocf/runtime';
import { eventFact, type ProvisioningDeps } from './deps.ts';

/**
 * AgentSleepRequested (the bridge's idle decision, or an operator) -> the agent's task is stopped
 * on purpose while this stays the newest request; AgentAsleep says when it is done (ADR 0019).
 */
export function onAgentSleepRequested(deps: ProvisioningDeps): EventHandler<'AgentSleepRequested'> {
  return async (event, context) => {
    const { agentId, reason } = event.data;
    const outcome = await deps.store.recordFact(agentId, 'sleep', { ...eventFact(event), reason });
    context.logger.info('sleep request recorded', { outcome, reason });
    deps.reconcile(`AgentSleepRequested ${agentId}`, agentId);
  };
}
