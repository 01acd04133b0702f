import type { EventHandler } from '@ocf/runtime';
import { mergeRetirement } from '../domain/agent-record.ts';
import { actForAgent } from '../reconcile/act-for-agent.ts';
import type { BridgeDeps } from '../reconcile/deps.ts';
import { actContext } from './triggers.ts';

/**
 * AgentRetired -> a farewell where the agent was welcomed, out of every room, the account
 * deactivated -> ChatAccountDeactivated, on every delivery (the directory waits for it). A
 * retirement that overtook the hire is remembered, so the late hire cannot bring the account back.
 */
export function onAgentRetired(deps: BridgeDeps): EventHandler<'AgentRetired'> {
  return async (event, context) => {
    const { agentId } = event.data;
    const outcome = await actForAgent(deps, agentId, actContext(event, context), (record) =>
      mergeRetirement(record, event.metadata.occurredAt),
    );
    if (outcome.kind === 'deactivated') {
      await context.emit('ChatAccountDeactivated', { agentId, matrixUserId: outcome.matrixUserId });
    }
  };
}
