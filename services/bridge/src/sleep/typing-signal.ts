import type { WakeSignal } from './scheduler.ts';

/**
 * The "it is waking" sign a person sees at once: the agent is shown typing in the room, set by the
 * bridge as the agent (application services may act as their users). The agent's gateway takes
 * over with its own typing and reply once it is up. The token is sent, never logged or reported.
 */
export const BUDGET_SPENT_NOTICE =
  "I'm asleep and can't be woken yet: my monthly model budget is spent. I'll answer once it is raised or the month turns.";

export function createTypingSignal(options: {
  readonly homeserverUrl: string;
  readonly asToken: string;
  /** How long the notification shows unless the agent's own activity replaces it. */
  readonly timeoutMs: number;
}): WakeSignal {
  const base = options.homeserverUrl.replace(/\/+$/, '');
  return {
    async waking(roomId, agentUserId) {
      const response = await fetch(
        `${base}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(agentUserId)}?user_id=${encodeURIComponent(agentUserId)}`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${options.asToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ typing: true, timeout: options.timeoutMs }),
          signal: AbortSignal.timeout(5_000),
        },
      );
      if (!response.ok) throw new Error(`typing notification refused: HTTP ${response.status}`);
    },
    async budgetSpent(roomId, agentUserId) {
      // A notice (which agents do not answer) in the agent's name, where the person wrote.
      const txn = `ocf-budget-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const response = await fetch(
        `${base}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}?user_id=${encodeURIComponent(agentUserId)}`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${options.asToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ msgtype: 'm.notice', body: BUDGET_SPENT_NOTICE }),
          signal: AbortSignal.timeout(5_000),
        },
      );
      if (!response.ok) throw new Error(`budget notice refused: HTTP ${response.status}`);
    },
  };
}
