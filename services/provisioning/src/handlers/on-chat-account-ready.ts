import type { EventHandler } from '@ocf/runtime';
import { occurredAt, type ProvisioningDeps } from './deps.ts';

/** ChatAccountReady -> the last step before a launch is done; the next pass starts the agent's task. */
export function onChatAccountReady(deps: ProvisioningDeps): EventHandler<'ChatAccountReady'> {
  return async (event, context) => {
    const { agentId, matrixUserId } = event.data;
    const outcome = await deps.store.recordFact(agentId, 'chat', { at: occurredAt(event), matrixUserId });
    context.logger.info('chat account recorded', { outcome });
    deps.reconcile(`ChatAccountReady ${agentId}`, agentId);
  };
}
