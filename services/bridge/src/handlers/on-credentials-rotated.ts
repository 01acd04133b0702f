import type { EventHandler } from '@ocf/runtime';
import { actForAgent } from '../reconcile/act-for-agent.ts';
import type { BridgeDeps } from '../reconcile/deps.ts';
import { actContext } from './triggers.ts';

/**
 * CredentialsRotated -> every session of the account ends and a new access token goes into the
 * secret's AWSCURRENT version (ADR 0020). The event only says "look again": rotations arrive in
 * any order, so the version used is the one that is current when the bridge looks, never the
 * event's (a late event for an older version finds the bridge's own version current and changes
 * nothing). If the account does not exist yet, it will be made with whatever version is current.
 */
export function onCredentialsRotated(deps: BridgeDeps): EventHandler<'CredentialsRotated'> {
  return async (event, context) => {
    const { agentId } = event.data;
    const outcome = await actForAgent(deps, agentId, actContext(event, context), (record) => record);
    // An account an earlier failure left unfinished may be completed by this look.
    if (outcome.kind === 'ready' && outcome.becameReady) {
      await context.emit('ChatAccountReady', { agentId, matrixUserId: outcome.matrixUserId });
    }
  };
}
