import type { Naming } from '@ocf/naming';

/** The parts of a Matrix room event (as the homeserver pushes it) that mentions are read from. */
export interface PushedEvent {
  readonly type?: unknown;
  readonly sender?: unknown;
  readonly room_id?: unknown;
  readonly event_id?: unknown;
  readonly content?: unknown;
}

export interface Mention {
  readonly agentId: string;
  readonly roomId: string;
  readonly eventId: string;
  readonly sender: string;
}

/** Pills in HTML bodies: `<a href="https://matrix.to/#/@agent-ada:server">`, often URL-encoded. */
const PILL = /https:\/\/matrix\.to\/#\/((?:@|%40)[^"'?<>\s]+)/g;
/** Full user ids typed into a plain body. */
const USER_ID = /@[a-z0-9._=\-/]+:[a-zA-Z0-9.:-]+/g;

/**
 * The fleet's agents a message addresses: intentional mentions (`m.mentions.user_ids`, how current
 * clients mark them), pills in the HTML body, and user ids typed out in the text. An agent is not
 * woken by its own messages. This is what "wake a sleeping agent when someone mentions it" will
 * act on; the bridge sees every such message because the agents' namespace is its own.
 */
export function mentionsIn(event: PushedEvent, naming: Naming): Mention[] {
  if (event.type !== 'm.room.message') return [];
  const { sender, room_id: roomId, event_id: eventId, content } = event;
  if (typeof sender !== 'string' || typeof roomId !== 'string' || typeof eventId !== 'string') return [];
  if (typeof content !== 'object' || content === null) return [];

  const candidates = new Set<string>();
  const fields = content as Record<string, unknown>;
  const intentional = (fields['m.mentions'] as { user_ids?: unknown } | undefined)?.user_ids;
  if (Array.isArray(intentional)) {
    for (const userId of intentional) if (typeof userId === 'string') candidates.add(userId);
  }
  const html = fields['formatted_body'];
  if (typeof html === 'string') {
    for (const match of html.matchAll(PILL)) candidates.add(decodeLeniently(match[1] ?? ''));
  }
  const text = fields['body'];
  if (typeof text === 'string') {
    for (const match of text.matchAll(USER_ID)) candidates.add(match[0]);
  }

  const mentions: Mention[] = [];
  for (const userId of candidates) {
    const agentId = naming.agentIdOf(userId);
    if (agentId !== undefined && userId !== sender) mentions.push({ agentId, roomId, eventId, sender });
  }
  return mentions;
}

/** Pills are URL-encoded (`%40agent-ada%3Aserver`); a malformed one is kept as it is, not thrown. */
function decodeLeniently(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
