import type { EventHandler } from '@ocf/runtime';
import { eventFact, type ProvisioningDeps } from './deps.ts';

/**
 * AgentRetired (from the directory) -> the agent leaves the desired state. The next pass stops
 * its task, releases its storage, and publishes AgentStopped (expected) and MemoryArchived.
 */
export function onAgentRetired(deps: ProvisioningDeps): EventHandler<'AgentRetired'> {
  return async (event, context) => {
    const { agentId, reason } = event.data;
    const outcome = await deps.store.recordFact(agentId, 'retired', {
      ...eventFact(event),
      ...(reason === undefined ? {} : { reason }),
    });
    context.logger.info('retirement recorded', { outcome });
    deps.reconcile(`AgentRetired ${agentId}`, agentId);
  };
}
