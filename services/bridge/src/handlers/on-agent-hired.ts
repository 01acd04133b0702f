import type { EventHandler } from '@ocf/runtime';
import { mergeHire } from '../domain/agent-record.ts';
import { actForAgent } from '../reconcile/act-for-agent.ts';
import type { BridgeDeps } from '../reconcile/deps.ts';
import { actContext } from './triggers.ts';

/**
 * AgentHired -> the bridge's copy of the agent's position. If the agent's secret is there already
 * (its CredentialsIssued came first, or this is a re-delivery), the account is made ready now and
 * ChatAccountReady published the first time it is.
 */
export function onAgentHired(deps: BridgeDeps): EventHandler<'AgentHired'> {
  return async (event, context) => {
    const { agentId } = event.data;
    const outcome = await actForAgent(deps, agentId, actContext(event, context), (record) =>
      mergeHire(record, event.data, event.metadata.occurredAt),
    );
    if (outcome.kind === 'ready' && outcome.becameReady) {
      await context.emit('ChatAccountReady', { agentId, matrixUserId: outcome.matrixUserId });
    }
  };
}
