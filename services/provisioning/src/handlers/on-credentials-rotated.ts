import type { EventHandler } from '@ocf/runtime';
import { eventFact, type ProvisioningDeps } from './deps.ts';

/**
 * CredentialsRotated -> the agent's task is replaced at once: a task reads its secret when it
 * starts (ADR 0008), and the bridge has moved the chat account to the new password. A rotation
 * that names another agent's secret replaces nothing (DLQ, with the reason).
 */
export function onCredentialsRotated(deps: ProvisioningDeps): EventHandler<'CredentialsRotated'> {
  return async (event, context) => {
    const { agentId, secretArn, versionId } = event.data;
    await deps.secrets.assertOwn(agentId, secretArn, context);
    const outcome = await deps.store.recordFact(agentId, 'rotation', { ...eventFact(event), versionId });
    context.logger.info('rotation recorded; the task will be replaced', { outcome, versionId });
    deps.reconcile(`CredentialsRotated ${agentId}`, agentId);
  };
}
