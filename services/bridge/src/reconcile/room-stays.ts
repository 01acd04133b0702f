import { ConflictError, TransientError } from '@ocf/errors';
import { lifecycle, type Position } from '../domain/agent-record.ts';
import {
  announcementContent,
  farewell,
  welcome,
  type Announcement,
  type Departure,
} from '../domain/announcements.ts';
import { CEO_ID, displayName, roomKey, roomsOf, type OrgRoom } from '@ocf/naming';
import { announcesArrivals } from '../domain/org-rooms.ts';
import { designRoom } from '../domain/room-design.ts';
import { HomeserverError, isHomeserverError, type RoomStay } from '../ports.ts';
import { withAgentLock } from './agent-lock.ts';
import type { BridgeDeps, WorkContext } from './deps.ts';

/**
 * Puts an agent in exactly the org rooms its position calls for. The rooms it is in are the stays
 * the bridge recorded; the difference decides what happens: a transfer ends the stay in the old
 * team room (with a farewell) before the new one starts (with a welcome).
 *
 * A stay is recorded before its agent joins, and its announcement is marked sent right after it
 * goes out, with a transaction id derived from the stay. So a repeat — a redelivered event, a
 * retry after a crash — joins nobody twice and announces nothing twice.
 */
export async function reconcileStays(
  deps: BridgeDeps,
  agentId: string,
  position: Position,
  context: WorkContext,
): Promise<void> {
  const wanted = roomsOf(agentId, position);
  const wantedKeys = new Set(wanted.map(roomKey));
  const stays = await deps.store.stays(agentId);
  const name = displayName(position);

  for (const stay of stays) {
    if (!wantedKeys.has(stay.roomKey)) await endStay(deps, agentId, name, stay, 'moved', context);
  }
  const current = new Map(stays.map((stay) => [stay.roomKey, stay]));
  for (const room of wanted) {
    context.signal.throwIfAborted();
    await ensureStay(deps, agentId, position, room, current.get(roomKey(room)), context);
  }
}

/** Takes a retiring agent out of every room, saying goodbye where it was welcomed. */
export async function endAllStays(
  deps: BridgeDeps,
  agentId: string,
  name: string,
  context: WorkContext,
): Promise<void> {
  for (const stay of await deps.store.stays(agentId)) {
    await endStay(deps, agentId, name, stay, 'retired', context);
  }
}

async function ensureStay(
  deps: BridgeDeps,
  agentId: string,
  position: Position,
  room: OrgRoom,
  existing: RoomStay | undefined,
  context: WorkContext,
): Promise<void> {
  const { homeserver, naming, store } = deps;
  const agentUserId = naming.agentUserId(agentId);
  let stay = existing;
  if (stay === undefined) {
    const manager = room.kind === 'direct' ? await managerOf(deps, room.managerId) : undefined;
    const members = manager?.userId === undefined ? [agentUserId] : [agentUserId, manager.userId];
    const { roomId, invited } = await ensureRoom(
      deps,
      room,
      { ...(manager === undefined ? {} : { managerName: manager.name }), reportName: position.name },
      members,
    );
    stay = {
      room,
      roomKey: roomKey(room),
      roomId,
      members,
      stayId: deps.newId(),
      welcomed: false,
      farewellSent: false,
    };
    // Before anyone joins: the stay's id must outlive a crash, or its welcome could go out twice.
    await store.putStay(agentId, stay);
    context.logger.info('agent placed in an org room', { roomKey: stay.roomKey, roomId });
    for (const member of members) await placeNewMember(deps, roomId, member, invited, context);
  } else {
    // Joined whatever happened since (a kick, a homeserver restored from a backup): level, not edge.
    for (const member of stay.members) await ensureJoined(deps, stay.roomId, member, context);
  }

  if (room.kind === 'direct') {
    const managerUserId = stay.members[1];
    const { roomId } = stay;
    await homeserver.markDirect(agentUserId, managerUserId ?? deps.ceoUserId, roomId);
    if (managerUserId !== undefined) {
      // m.direct is one document per user, read, changed and written back: two reports of one
      // manager, placed at once, would each write back a list without the other's room. The
      // manager's lock makes their writes take turns. (The CEO marks its own, from the invite.)
      await withAgentLock(deps, room.managerId, context, () =>
        homeserver.markDirect(managerUserId, agentUserId, roomId),
      );
    }
  }

  if (announcesArrivals(room) && !stay.welcomed) {
    await announce(deps, stay, welcome(room, agentId, displayName(position)));
    await store.putStay(agentId, { ...stay, welcomed: true });
  }
}

async function endStay(
  deps: BridgeDeps,
  agentId: string,
  name: string,
  stay: RoomStay,
  departure: Departure,
  context: WorkContext,
): Promise<void> {
  const { homeserver, store } = deps;
  if (announcesArrivals(stay.room) && stay.welcomed && !stay.farewellSent) {
    await announce(deps, stay, farewell(stay.room, agentId, name, departure));
    await store.putStay(agentId, { ...stay, farewellSent: true });
  }
  // In a manager↔report room both leave: the reporting line it stood for has ended.
  for (const member of stay.members) {
    const membership = await homeserver.membership(stay.roomId, member);
    if (membership === 'join' || membership === 'invite') await homeserver.leave(stay.roomId, member);
  }
  await store.deleteStay(agentId, stay.roomKey);
  context.logger.info('agent taken out of an org room', {
    roomKey: stay.roomKey,
    roomId: stay.roomId,
    departure,
  });
}

/** The transaction id makes the homeserver treat a resend (a crash before we noted it) as the same event. */
async function announce(deps: BridgeDeps, stay: RoomStay, announcement: Announcement): Promise<void> {
  await deps.homeserver.send(
    stay.roomId,
    `ocf.${announcement.kind}.${stay.stayId}`,
    announcementContent(announcement),
  );
}

/**
 * A member of a stay that starts now: nobody has put it in the room for this stay, so it is
 * invited (unless the room was just made with it invited) and joins, without first reading its
 * membership. An invite the homeserver refuses (already in the room, banned) hands over to
 * ensureJoined, which reads the membership and decides; a refused join is a refusal.
 */
async function placeNewMember(
  deps: BridgeDeps,
  roomId: string,
  userId: string,
  invited: boolean,
  context: WorkContext,
): Promise<void> {
  const { homeserver } = deps;
  if (!invited) {
    try {
      await homeserver.invite(roomId, userId);
    } catch (error) {
      if (!(error instanceof HomeserverError && error.status === 403)) throw error;
      await ensureJoined(deps, roomId, userId, context);
      return;
    }
  }
  await homeserver.join(roomId, userId);
}

async function ensureJoined(
  deps: BridgeDeps,
  roomId: string,
  userId: string,
  context: WorkContext,
): Promise<void> {
  const { homeserver } = deps;
  const membership = await homeserver.membership(roomId, userId);
  if (membership === 'join') return;
  if (membership === 'ban') {
    // A person banned the agent from this room on purpose; the fleet does not overrule them.
    context.logger.warn('agent is banned from an org room; leaving it out', { roomId, matrixUserId: userId });
    return;
  }
  if (membership !== 'invite') await homeserver.invite(roomId, userId);
  await homeserver.join(roomId, userId);
}

/**
 * The room behind the org room's alias, created if nobody has yet. Two workers may race to create
 * it; the loser's create fails with M_ROOM_IN_USE and it finds the winner's room on its next look.
 * A room made here has `members` invited already (`invited`).
 *
 * A shared room (#all-employees, a department's or a team's) is there for every hire but the
 * first, so its alias is looked up first. A manager↔report room is made for the stay that starts
 * now and is almost never there yet (a retry after a crash, a reporting line restored), so its
 * create goes first: the homeserver checks the alias before it makes anything, and a taken one
 * sends us to the look-up. One request fewer per hire.
 */
async function ensureRoom(
  deps: BridgeDeps,
  room: OrgRoom,
  people: { readonly managerName?: string; readonly reportName?: string },
  members: readonly string[],
): Promise<{ roomId: string; invited: boolean }> {
  const { homeserver, naming } = deps;
  const key = roomKey(room);
  const alias = naming.alias(key);
  for (let look = 1; look <= 3; look++) {
    const existing = look === 1 && room.kind === 'direct' ? undefined : await homeserver.resolveAlias(alias);
    if (existing !== undefined) return { roomId: await whenCreated(deps, existing, alias), invited: false };
    try {
      const roomId = await homeserver.createRoom(
        designRoom(room, {
          aliasLocalpart: naming.aliasLocalpart(key),
          ceoUserId: deps.ceoUserId,
          members,
          ...people,
        }),
      );
      return { roomId, invited: true };
    } catch (error) {
      if (!isHomeserverError(error, 'M_ROOM_IN_USE')) throw error;
    }
  }
  throw new TransientError(
    'ROOM_ALIAS_UNSETTLED',
    `${alias} is taken but does not resolve; trying again later`,
  );
}

/** How long a room found mid-creation is given to become usable, and how often it is looked at. */
const CREATION_WAIT_MS = 5_000;
const CREATION_POLL_MS = 200;

/**
 * Synapse points the alias at a new room before the room's creator has joined it. A worker that
 * finds the room by its alias in that moment cannot use it yet — the bot cannot even read it — so
 * it waits until the bot is in.
 *
 * A room the bot is still not in after that is not the fleet's: org-room aliases are the bridge's
 * exclusive namespace (`#org-…`), so only an alias taken before that namespace was registered (or
 * a room the bot was put out of) gets here. Waiting will not free it, so the step fails now, naming
 * the alias, instead of parking the agent for a day (docs/security.md).
 */
async function whenCreated(deps: BridgeDeps, roomId: string, alias: string): Promise<string> {
  const { homeserver, roomsWithBot } = deps;
  // #all-employees and the team rooms are found by their alias on nearly every hire.
  if (roomsWithBot.has(roomId)) return roomId;
  let seen: string | undefined;
  for (let waited = 0; waited <= CREATION_WAIT_MS; waited += CREATION_POLL_MS) {
    try {
      seen = await homeserver.membership(roomId, homeserver.botUserId);
      if (seen === 'join') {
        roomsWithBot.add(roomId);
        return roomId;
      }
    } catch (error) {
      if (!isHomeserverError(error, 'M_FORBIDDEN')) throw error;
    }
    await deps.sleep(CREATION_POLL_MS);
  }
  const membership = seen === undefined ? '' : ` (its membership: ${seen})`;
  throw new ConflictError(
    `room alias ${alias} is taken by someone else: it points at ${roomId}, a room the fleet's bot is not in${membership}; a homeserver admin must free the alias`,
    'ROOM_ALIAS_TAKEN',
  );
}

/**
 * The other side of a manager↔report room. An agent manager must have its account ready first: it
 * was hired before its report, so its account is on its way, and the report waits for it.
 */
async function managerOf(
  deps: BridgeDeps,
  managerId: string,
): Promise<{ name: string; userId: string | undefined }> {
  if (managerId === CEO_ID) return { name: 'CEO', userId: undefined };
  const stored = await deps.store.getAgent(managerId);
  const life = stored === undefined ? undefined : lifecycle(stored.record);
  if (stored?.record.account.state !== 'ready' || life?.kind !== 'active') {
    throw new TransientError(
      'MANAGER_NOT_READY',
      `manager ${managerId} has no chat account yet; its direct room with its report waits for it`,
    );
  }
  return { name: life.position.name, userId: deps.naming.agentUserId(managerId) };
}
