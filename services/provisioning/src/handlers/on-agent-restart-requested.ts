import type { EventHandler } from '@ocf/runtime';
import { eventFact, type ProvisioningDeps } from './deps.ts';

/**
 * AgentRestartRequested (from health) -> the agent's task is replaced: a live one is stopped now,
 * the new one starts at `notBefore` (health's back-off). A request also lifts a crash loop:
 * that is how an operator restarts an agent health gave up on.
 */
export function onAgentRestartRequested(deps: ProvisioningDeps): EventHandler<'AgentRestartRequested'> {
  return async (event, context) => {
    const { agentId, attempt, notBefore, reason } = event.data;
    const outcome = await deps.store.recordFact(agentId, 'restart', {
      ...eventFact(event),
      attempt,
      notBefore: new Date(notBefore).toISOString(),
      reason,
    });
    context.logger.info('restart request recorded', { outcome, attempt, notBefore });
    deps.reconcile(`AgentRestartRequested ${agentId}`, agentId);
  };
}
