import type { EventHandler } from '@ocf/runtime';
import { mergeUpdate } from '../domain/agent-record.ts';
import { actForAgent } from '../reconcile/act-for-agent.ts';
import type { BridgeDeps } from '../reconcile/deps.ts';
import { actContext } from './triggers.ts';

/**
 * AgentUpdated (a promotion, a transfer, a new manager) -> the new position is recorded, and the
 * account follows it: a new display name, out of the rooms the agent no longer belongs in, into
 * the ones it now does. An update that overtook its hire is kept until the hire arrives.
 */
export function onAgentUpdated(deps: BridgeDeps): EventHandler<'AgentUpdated'> {
  return async (event, context) => {
    const { agentId, changes } = event.data;
    const outcome = await actForAgent(deps, agentId, actContext(event, context), (record) =>
      mergeUpdate(record, changes, event.metadata.occurredAt),
    );
    if (outcome.kind === 'ready' && outcome.becameReady) {
      await context.emit('ChatAccountReady', { agentId, matrixUserId: outcome.matrixUserId });
    }
  };
}
