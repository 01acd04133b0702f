import type { EventHandler } from '@ocf/runtime';
import { eventFact, type ProvisioningDeps } from './deps.ts';

/**
 * AgentHired (from the directory) -> the agent is part of the desired state. It does not run
 * yet: its secret and chat account come first. The same hire again under another id is the
 * directory's cascade resync: a launch already reported is reported again.
 */
export function onAgentHired(deps: ProvisioningDeps): EventHandler<'AgentHired'> {
  return async (event, context) => {
    const { agentId } = event.data;
    const fact = eventFact(event);
    const outcome = await deps.store.recordFact(agentId, 'hired', fact);
    context.logger.info('hire recorded', { outcome });
    deps.reconcile(`AgentHired ${agentId}`, agentId);
    // The same hire announced again under a new id (the directory's cascade resync, ADR 0024):
    // an event on the way was lost, maybe this agent's AgentLaunching. Reported again, same id.
    const record = outcome === 'stale' ? await deps.store.get(agentId) : undefined;
    if (record?.hired?.at === fact.at && record.hired.eventId !== fact.eventId)
      await deps.reannounce(agentId);
  };
}
