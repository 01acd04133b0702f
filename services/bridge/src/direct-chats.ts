import { errorMessage, isRetryable } from '@ocf/errors';
import type { Logger } from '@ocf/logging';
import { exclusiveNamespaces, type Naming } from '@ocf/naming';
import { lifecycle } from './domain/agent-record.ts';
import type { PushedEvent } from './domain/mentions.ts';
import type { BridgeStore, Homeserver } from './ports.ts';

export interface DirectChatDeps {
  readonly homeserver: Homeserver;
  readonly store: BridgeStore;
  readonly naming: Naming;
  readonly logger: Logger;
}

/** Why an invitation was not accepted (logged, and what the unit tests read). */
export type DirectChatVerdict =
  | 'joined'
  | 'not-a-direct-invite'
  | 'not-an-agent-of-this-fleet'
  | 'inviter-not-a-person-of-this-homeserver'
  | 'agent-not-active'
  | 'invite-gone';

/**
 * A person opens a direct chat with an agent: a room of their own, the agent invited with
 * `is_direct`. The agent's OpenClaw joins only its org rooms by itself (`autoJoin: allowlist`), so
 * the bridge — which acts as its agents — accepts such an invitation for it, and lists the room in
 * the agent's `m.direct` with the person, which is how OpenClaw tells a direct chat.
 *
 * Only from people of the fleet's own homeserver (whose registration is closed: its users are
 * the organisation's), never from an agent of any fleet (the whole `@agent-…` namespace: an agent
 * cannot pull another into a room of its choosing), nor the bridge's own bot, nor anyone on
 * another server; and only for an agent in the org with its account ready. Whether the agent then
 * answers is its own DM policy (MATRIX_ORG_HUMANS), as for any direct message.
 *
 * Idempotent: the homeserver may push the same invitation again, and joining twice is harmless.
 * A refusal from the homeserver (the invitation withdrawn) is logged, not retried; a failure that
 * may pass throws, so the transaction is sent again.
 */
export function createDirectChats(deps: DirectChatDeps) {
  const { homeserver, store, naming, logger } = deps;
  const agentUsers = new RegExp(`^${exclusiveNamespaces(naming.serverName).users}$`);

  async function onRoomEvent(event: PushedEvent): Promise<DirectChatVerdict | undefined> {
    if (event.type !== 'm.room.member') return undefined;
    const target = (event as { state_key?: unknown }).state_key;
    const content = event.content as { membership?: unknown; is_direct?: unknown } | undefined;
    if (typeof target !== 'string' || content?.membership !== 'invite') return undefined;
    const { sender, room_id: roomId } = event;
    if (typeof sender !== 'string' || typeof roomId !== 'string') return undefined;
    const agentId = naming.agentIdOf(target);
    const verdict = await judge(agentId, sender, content.is_direct === true);
    if (verdict !== 'accept') {
      if (agentId !== undefined)
        logger.info('direct chat invitation not accepted', { agentId, roomId, sender, verdict });
      return verdict;
    }
    try {
      await homeserver.join(roomId, target);
      await homeserver.markDirect(target, sender, roomId);
    } catch (error) {
      if (isRetryable(error)) throw error;
      logger.info('direct chat invitation not accepted', {
        agentId,
        roomId,
        sender,
        verdict: 'invite-gone',
        error: errorMessage(error),
      });
      return 'invite-gone';
    }
    logger.info('direct chat invitation accepted', { agentId, roomId, sender });
    return 'joined';
  }

  async function judge(
    agentId: string | undefined,
    sender: string,
    isDirect: boolean,
  ): Promise<Exclude<DirectChatVerdict, 'joined' | 'invite-gone'> | 'accept'> {
    if (agentId === undefined) return 'not-an-agent-of-this-fleet';
    if (!isDirect) return 'not-a-direct-invite';
    const server = sender.slice(sender.indexOf(':') + 1);
    if (
      !sender.startsWith('@') ||
      server !== naming.serverName ||
      agentUsers.test(sender) ||
      sender === homeserver.botUserId
    )
      return 'inviter-not-a-person-of-this-homeserver';
    const stored = await store.getAgent(agentId);
    if (stored === undefined || stored.record.account.state !== 'ready') return 'agent-not-active';
    return lifecycle(stored.record).kind === 'active' ? 'accept' : 'agent-not-active';
  }

  return { onRoomEvent };
}
