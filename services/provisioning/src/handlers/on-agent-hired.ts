import type { EventHandler } from '@ocf/runtime';
import { eventFact, type ProvisioningDeps } from './deps.ts';

/**
 * AgentHired (from the directory) -> the agent is part of the desired state. It does not run
 * yet: its secret and chat account come first.
 */
export function onAgentHired(deps: ProvisioningDeps): EventHandler<'AgentHired'> {
  return async (event, context) => {
    const { agentId } = event.data;
    const outcome = await deps.store.recordFact(agentId, 'hired', eventFact(event));
    context.logger.info('hire recorded', { outcome });
    deps.reconcile(`AgentHired ${agentId}`);
  };
}
