/**
 * A bound on agent-to-agent conversations. Agents run in separate gateways, so to each other they
 * are ordinary Matrix users: OpenClaw's own bot-loop protection, which only knows accounts
 * configured on the same gateway, never applies. Mention gating stops agents from answering
 * chatter, but two agents that mention (or reply to) each other can still keep each other going.
 *
 * The rule: in one conversation, an agent answers at most `maxAgentTurns` messages from other
 * agents within `windowMs`; beyond that it stays silent. A message from a human in that
 * conversation starts a fresh budget, because a person taking part is the sign the exchange is
 * wanted. Pure and in memory: a restart forgets the counts, which errs on the side of answering.
 */
export interface LoopGuardOptions {
  readonly maxAgentTurns: number;
  readonly windowMs: number;
  readonly isAgent: (userId: string) => boolean;
}

export type Admission =
  { readonly admit: true } | { readonly admit: false; readonly recentAgentTurns: number };

export interface LoopGuard {
  admit(message: { conversationId: string; senderId: string; now: number }): Admission;
}

export function createLoopGuard(options: LoopGuardOptions): LoopGuard {
  /** Per conversation, when the agent accepted messages from other agents (oldest first). */
  const agentTurns = new Map<string, number[]>();

  return {
    admit({ conversationId, senderId, now }) {
      if (!options.isAgent(senderId)) {
        agentTurns.delete(conversationId);
        return { admit: true };
      }
      const recent = (agentTurns.get(conversationId) ?? []).filter((at) => now - at < options.windowMs);
      if (recent.length >= options.maxAgentTurns) {
        agentTurns.set(conversationId, recent);
        return { admit: false, recentAgentTurns: recent.length };
      }
      recent.push(now);
      agentTurns.set(conversationId, recent);
      return { admit: true };
    },
  };
}
