import type { EventHandler } from '@ocf/runtime';
import { eventFact, type ProvisioningDeps } from './deps.ts';

/**
 * AgentHired (from the directory) -> the agent is part of the desired state, with its place in
 * the org. It does not run yet: its secret and chat account come first.
 */
export function onAgentHired(deps: ProvisioningDeps): EventHandler<'AgentHired'> {
  return async (event, context) => {
    const { agentId, name, title, level, department, team, managerId } = event.data;
    const outcome = await deps.store.recordFact(agentId, 'hired', {
      ...eventFact(event),
      name,
      title,
      level,
      department,
      ...(team === undefined ? {} : { team }),
      managerId,
    });
    context.logger.info('hire recorded', { outcome });
    deps.reconcile(`AgentHired ${agentId}`);
  };
}
