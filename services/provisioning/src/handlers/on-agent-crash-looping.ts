import type { EventHandler } from '@ocf/runtime';
import { eventFact, type ProvisioningDeps } from './deps.ts';

/** AgentCrashLooping (from health) -> no more launches for the agent until a restart request lifts it. */
export function onAgentCrashLooping(deps: ProvisioningDeps): EventHandler<'AgentCrashLooping'> {
  return async (event, context) => {
    const { agentId, failures } = event.data;
    const outcome = await deps.store.recordFact(agentId, 'crashLoop', eventFact(event));
    context.logger.warn('agent is crash-looping; launches stop', { outcome, failures });
    deps.reconcile(`AgentCrashLooping ${agentId}`, agentId);
  };
}
