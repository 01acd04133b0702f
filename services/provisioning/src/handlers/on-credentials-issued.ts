import type { EventHandler } from '@ocf/runtime';
import { occurredAt, type ProvisioningDeps } from './deps.ts';

/**
 * CredentialsIssued -> the secret's ARN, which the agent's task gets (never the value). Only the
 * agent's own secret is recorded: an ARN of another secret is refused (DLQ, with the reason).
 */
export function onCredentialsIssued(deps: ProvisioningDeps): EventHandler<'CredentialsIssued'> {
  return async (event, context) => {
    const { agentId, secretArn } = event.data;
    await deps.secrets.assertOwn(agentId, secretArn, context);
    const outcome = await deps.store.recordFact(agentId, 'credentials', { at: occurredAt(event), secretArn });
    context.logger.info('secret ARN recorded', { outcome });
    deps.reconcile(`CredentialsIssued ${agentId}`, agentId);
  };
}
