import { errorMessage, isRetryable } from '@ocf/errors';
import type { AgentRecord } from '../domain/agent-record.ts';
import type { BridgeDeps, WorkContext } from './deps.ts';
import { withAgentLock } from './agent-lock.ts';
import { reconcileAgent, recordFacts, type ReconcileOutcome } from './reconcile-agent.ts';

export interface ActContext extends WorkContext {
  /** The consumer will not deliver this event again if it fails now. */
  readonly isFinalAttempt: boolean;
  readonly correlationId: string;
  readonly causationId: string;
}

export type ActOutcome = ReconcileOutcome | { readonly kind: 'parked' };

/**
 * The one shape of every bridge handler: under the agent's lock, record the event's facts, then
 * make the homeserver match everything known.
 *
 * When acting keeps failing for a reason that may pass (the homeserver is down), the last delivery
 * parks the agent instead of failing it: its facts are safe in the record, and the sweeper finishes
 * the job once the homeserver answers. An outage delays the cascade; it does not fail hires.
 */
export async function actForAgent(
  deps: BridgeDeps,
  agentId: string,
  context: ActContext,
  merge: (record: AgentRecord) => AgentRecord,
): Promise<ActOutcome> {
  return withAgentLock(deps, agentId, context, async () => {
    const stored = await recordFacts(deps.store, agentId, merge);
    try {
      return await reconcileAgent(deps, stored, context);
    } catch (error) {
      if (!isRetryable(error) || !context.isFinalAttempt) throw error;
      const reason = errorMessage(error);
      await deps.store.park({
        agentId,
        parkedAt: deps.now().toISOString(),
        reason,
        correlationId: context.correlationId,
        causationId: context.causationId,
      });
      context.logger.warn('parked: the sweeper will finish once the failure passes', { agentId, reason });
      return { kind: 'parked' };
    }
  });
}
