import type { EventHandler } from '@ocf/runtime';
import { mergeCredentialsIssued } from '../domain/agent-record.ts';
import { actForAgent } from '../reconcile/act-for-agent.ts';
import type { BridgeDeps } from '../reconcile/deps.ts';
import { actContext } from './triggers.ts';

/**
 * CredentialsIssued -> the agent's account, created (or opened again, for a re-hire) with a fresh
 * access token in the secret, named, and in its rooms -> ChatAccountReady, on every delivery, as the
 * credentials service reports its secret again on a repeat. If the hire has not reached the bridge
 * yet, the fact is kept and the hire's handler finishes the job.
 */
export function onCredentialsIssued(deps: BridgeDeps): EventHandler<'CredentialsIssued'> {
  return async (event, context) => {
    const { agentId } = event.data;
    const outcome = await actForAgent(deps, agentId, actContext(event, context), (record) =>
      mergeCredentialsIssued(record, event.metadata.occurredAt),
    );
    if (outcome.kind === 'ready') {
      await context.emit('ChatAccountReady', { agentId, matrixUserId: outcome.matrixUserId });
    } else if (outcome.kind === 'waiting') {
      context.logger.info('credentials noted; the account waits', { reason: outcome.reason });
    }
  };
}
