import type { OrgRoom } from '@ocf/naming';

/**
 * The short notices the fleet's bot posts when an agent arrives in or leaves a room. Each carries
 * a machine-readable `ocf.announcement` field, so tools (and tests) can tell them from chat.
 */
export interface Announcement {
  readonly kind: 'welcome' | 'farewell';
  readonly agentId: string;
  readonly body: string;
}

/** Why an agent leaves a room: it left the company, or the org moved it elsewhere. */
export type Departure = 'retired' | 'moved';

export function welcome(room: OrgRoom, agentId: string, displayName: string): Announcement {
  const body =
    room.kind === 'team'
      ? `${displayName} joins the ${room.team} team. Welcome!`
      : `Please welcome ${displayName} to the company!`;
  return { kind: 'welcome', agentId, body };
}

export function farewell(
  room: OrgRoom,
  agentId: string,
  displayName: string,
  departure: Departure,
): Announcement {
  const body =
    departure === 'retired'
      ? `${displayName} has left the company. Thank you for everything!`
      : room.kind === 'team'
        ? `${displayName} has moved on from the ${room.team} team. Good luck!`
        : `${displayName} has left.`;
  return { kind: 'farewell', agentId, body };
}

/** The event content of an announcement: a notice, so bots and agents do not answer it. */
export function announcementContent(announcement: Announcement): Record<string, unknown> {
  return {
    msgtype: 'm.notice',
    body: announcement.body,
    'ocf.announcement': { kind: announcement.kind, agentId: announcement.agentId },
  };
}
