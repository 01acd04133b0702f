import type { WakeSignal } from './scheduler.ts';

/**
 * The "it is waking" sign a person sees at once: the agent is shown typing in the room, set by the
 * bridge as the agent (application services may act as their users). The agent's gateway takes
 * over with its own typing and reply once it is up. The token is sent, never logged or reported.
 */
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
  };
}
