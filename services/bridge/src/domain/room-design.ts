import { CEO_ID, type OrgRoom } from '@ocf/naming';

/** Everything the homeserver needs to create an org room. */
export interface RoomCreation {
  readonly aliasLocalpart: string;
  readonly name: string;
  /**
   * Shared rooms have one (they are made once per department or team). A manager↔report room has
   * none: its name says the same ("Grace Hopper ↔ Ada Lovelace"), and a topic would be one more
   * state event on every hire.
   */
  readonly topic?: string;
  /**
   * People invited when the room is made, each by an invite of its own (the CEO, always). Such an
   * invite carries the room's name and join rule for the person's client to show before joining.
   */
  readonly invite: readonly string[];
  /**
   * The agents the room is being made for (the one being placed, and its manager in a
   * manager↔report room), invited in the room's initial state. Synapse persists that state in one
   * batch, so these invites cost it little next to invites of their own, but they carry only the
   * room's creation as stripped state. Nothing reads it: the bridge joins the agents at once.
   */
  readonly agents: readonly string[];
  /** The invites are direct-chat invites (only when the CEO is one side of a manager↔report room). */
  readonly isDirect: boolean;
  readonly roomVersion: string;
  readonly powerLevels: Readonly<Record<string, unknown>>;
}

export interface RoomDesignContext {
  readonly aliasLocalpart: string;
  readonly ceoUserId: string;
  /** For manager↔report rooms: the two people, as the room name shows them. */
  readonly managerName?: string;
  readonly reportName?: string;
  /**
   * The agents who need the room now (the one being placed, and its manager in a direct room).
   * Invited by the request that makes the room, in its initial state: one call fewer per agent on
   * the homeserver, and one event fewer persisted on its own.
   */
  readonly members?: readonly string[];
}

/**
 * Room version 12 makes the creator — the fleet's bot — the room's owner, with a power no member
 * can reach or take away: the fleet, not an agent, controls the room. Everyone else's levels below
 * follow from that: agents talk (0), the CEO moderates (50: invite, kick, redact), and only the
 * fleet changes what a room is (name, topic, membership rules, power levels: 100).
 */
const ROOM_VERSION = '12';
const FLEET_ONLY = 100;
const MODERATOR = 50;

export function designRoom(room: OrgRoom, context: RoomDesignContext): RoomCreation {
  const { name, topic } = describe(room, context);
  return {
    aliasLocalpart: context.aliasLocalpart,
    name,
    ...(topic === undefined ? {} : { topic }),
    invite: [context.ceoUserId],
    agents: (context.members ?? []).filter((m) => m !== context.ceoUserId),
    isDirect: room.kind === 'direct' && room.managerId === CEO_ID,
    roomVersion: ROOM_VERSION,
    powerLevels: {
      users: { [context.ceoUserId]: MODERATOR },
      users_default: 0,
      events_default: 0,
      state_default: FLEET_ONLY,
      invite: MODERATOR,
      kick: MODERATOR,
      ban: MODERATOR,
      redact: MODERATOR,
      events: Object.fromEntries(
        [
          'm.room.name',
          'm.room.topic',
          'm.room.avatar',
          'm.room.canonical_alias',
          'm.room.join_rules',
          'm.room.history_visibility',
          'm.room.power_levels',
          'm.room.encryption',
          'm.room.server_acl',
          'm.room.tombstone',
        ].map((type) => [type, FLEET_ONLY]),
      ),
    },
  };
}

function describe(room: OrgRoom, context: RoomDesignContext): { name: string; topic?: string } {
  switch (room.kind) {
    case 'all-employees':
      return { name: 'All employees', topic: 'Everyone in the company.' };
    case 'leadership':
      return {
        name: `${room.department} leadership`,
        topic: `The VP and directors of ${room.department}.`,
      };
    case 'team':
      return {
        name: `${room.team} · ${room.department}`,
        topic: `The ${room.team} team of ${room.department}.`,
      };
    case 'direct': {
      const manager = context.managerName ?? room.managerId;
      const report = context.reportName ?? room.reportId;
      return { name: `${manager} ↔ ${report}` };
    }
  }
}
