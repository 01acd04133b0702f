import { ROOM_ALIAS_PREFIX } from '@ocf/naming';
import { SecretText } from '@ocf/secrets';
import type { RoomCreation } from '../domain/room-design.ts';
import { HomeserverError, type ChatAccount, type Homeserver, type Membership } from '../ports.ts';

export interface FakeUser {
  displayName: string | undefined;
  /** The access tokens that work for this user now. */
  tokens: Set<string>;
  /** How often every session of the user was ended (each new token and each closing does it). */
  loggedOut: number;
  direct: Record<string, string[]>;
}

export interface FakeMessage {
  readonly eventId: string;
  readonly txnId: string;
  readonly content: Readonly<Record<string, unknown>>;
}

export interface FakeRoom {
  readonly roomId: string;
  readonly creation: RoomCreation;
  readonly members: Map<string, Membership>;
  readonly messages: FakeMessage[];
}

type Operation = Exclude<keyof Homeserver, 'botUserId'>;

export interface MemoryHomeserver extends Homeserver {
  readonly users: ReadonlyMap<string, FakeUser>;
  readonly rooms: ReadonlyMap<string, FakeRoom>;
  /** Every call, in order. */
  readonly calls: Operation[];
  /** The next `times` calls of `operation` fail with `error` before they change anything. */
  failNext(operation: Operation, error: Error, times?: number): void;
  /** While true, every call fails as if the homeserver did not answer. */
  down: boolean;
  roomByAlias(alias: string): FakeRoom | undefined;
  joinedMembers(roomId: string): string[];
  /** A user the fleet did not make: the CEO, a person. */
  seedUser(userId: string): void;
  /** Whose token this is, if it still works (Synapse's whoami). */
  whoami(token: string): string | undefined;
}

/**
 * For unit tests: a homeserver in Maps that answers the way Synapse does, errors included (an
 * invite to someone already in the room is refused, a taken alias is M_ROOM_IN_USE, a closed
 * account has no session left). test/support/homeserver-contract.ts runs the same checks against this
 * fake and against Synapse, so the two cannot drift apart.
 */
export function createMemoryHomeserver(options: { serverName?: string } = {}): MemoryHomeserver {
  const serverName = options.serverName ?? 'fleet.test';
  const botUserId = `@fleet-bot:${serverName}`;
  const users = new Map<string, FakeUser>();
  const rooms = new Map<string, FakeRoom>();
  const aliases = new Map<string, string>();
  const calls: Operation[] = [];
  const failures = new Map<Operation, { error: Error; remaining: number }>();
  let ids = 0;

  const refused = (status: number, errcode: string, message: string): HomeserverError =>
    new HomeserverError(`${message} (${status} ${errcode})`, { retryable: false, errcode, status });

  function run<T>(operation: Operation, body: () => T): Promise<T> {
    calls.push(operation);
    return new Promise((resolve) => {
      if (fake.down) {
        throw new HomeserverError(`${operation} failed: no answer from the homeserver (ECONNREFUSED)`, {
          retryable: true,
        });
      }
      const injected = failures.get(operation);
      if (injected !== undefined) {
        if (--injected.remaining === 0) failures.delete(operation);
        throw injected.error;
      }
      resolve(body());
    });
  }

  function user(userId: string): FakeUser {
    const found = users.get(userId);
    if (found === undefined) throw refused(404, 'M_NOT_FOUND', `${userId} does not exist`);
    return found;
  }

  function room(roomId: string): FakeRoom {
    const found = rooms.get(roomId);
    if (found === undefined) throw refused(403, 'M_FORBIDDEN', `${botUserId} is not in ${roomId}`);
    return found;
  }

  function register(userId: string): void {
    if (!users.has(userId)) {
      const localpart = userId.slice(1).split(':')[0] ?? userId;
      users.set(userId, { displayName: localpart, tokens: new Set(), loggedOut: 0, direct: {} });
    }
  }

  const fake: MemoryHomeserver = {
    botUserId,
    users,
    rooms,
    calls,
    down: false,

    ping: () => run('ping', () => undefined),

    resumePushes: () => run('resumePushes', () => undefined),

    account: (userId) =>
      run('account', (): ChatAccount | undefined => {
        const found = users.get(userId);
        return found === undefined ? undefined : { displayName: found.displayName };
      }),

    registerAgent: (userId) =>
      run('registerAgent', () => {
        register(userId);
      }),

    issueAccessToken: (userId, deviceId) =>
      run('issueAccessToken', () => {
        const found = user(userId);
        found.tokens.clear();
        found.loggedOut++;
        const token = `syt_${deviceId}_${++ids}`;
        found.tokens.add(token);
        return new SecretText(token);
      }),

    syncPosition: (userId, accessToken) =>
      run('syncPosition', () => {
        if (!user(userId).tokens.has(accessToken.reveal()))
          throw refused(401, 'M_UNKNOWN_TOKEN', 'Unknown token');
        return `s${++ids}_0`;
      }),

    setDisplayName: (userId, displayName) =>
      run('setDisplayName', () => {
        user(userId).displayName = displayName;
      }),

    closeAccount: (userId) =>
      run('closeAccount', () => {
        const found = user(userId);
        for (const each of rooms.values()) {
          if (each.members.get(userId) === 'join') each.members.set(userId, 'leave');
        }
        found.tokens.clear();
        found.loggedOut++;
      }),

    resolveAlias: (alias) => run('resolveAlias', () => aliases.get(alias)),

    createRoom: (creation) =>
      run('createRoom', () => {
        const alias = `#${creation.aliasLocalpart}:${serverName}`;
        // The bridge's registration reserves `#org-.*` for it, and only that (synapse-config.ts).
        if (!creation.aliasLocalpart.startsWith(ROOM_ALIAS_PREFIX)) {
          throw refused(400, 'M_EXCLUSIVE', 'This application service has not reserved this kind of alias.');
        }
        if (aliases.has(alias)) throw refused(400, 'M_ROOM_IN_USE', 'Room alias already taken');
        const roomId = `!room${++ids}:${serverName}`;
        const members = new Map<string, Membership>([[botUserId, 'join']]);
        for (const invitee of [...creation.invite, ...creation.agents]) members.set(invitee, 'invite');
        rooms.set(roomId, { roomId, creation, members, messages: [] });
        aliases.set(alias, roomId);
        return roomId;
      }),

    membership: (roomId, userId) => run('membership', () => room(roomId).members.get(userId)),

    invite: (roomId, userId) =>
      run('invite', () => {
        const found = room(roomId);
        user(userId);
        const current = found.members.get(userId);
        if (current === 'join') throw refused(403, 'M_FORBIDDEN', `${userId} is already in the room.`);
        if (current === 'ban') throw refused(403, 'M_FORBIDDEN', `${userId} is banned from the room`);
        found.members.set(userId, 'invite');
      }),

    join: (roomId, userId) =>
      run('join', () => {
        const found = room(roomId);
        user(userId);
        // Not invited: the bot invites, then the join is tried again (matrix-bot-sdk's strategy).
        if (found.members.get(userId) === 'ban')
          throw refused(403, 'M_FORBIDDEN', `${userId} is banned from the room`);
        found.members.set(userId, 'join');
      }),

    leave: (roomId, userId) =>
      run('leave', () => {
        const found = room(roomId);
        const current = found.members.get(userId);
        if (current !== 'invite' && current !== 'join')
          throw refused(403, 'M_FORBIDDEN', `${userId} is not in the room`);
        found.members.set(userId, 'leave');
      }),

    markDirect: (userId, otherUserId, roomId) =>
      run('markDirect', () => {
        const { direct } = user(userId);
        const list = direct[otherUserId] ?? [];
        if (!list.includes(roomId)) direct[otherUserId] = [...list, roomId];
      }),

    send: (roomId, txnId, content) =>
      run('send', () => {
        const found = room(roomId);
        const earlier = found.messages.find((message) => message.txnId === txnId);
        if (earlier !== undefined) return earlier.eventId;
        const eventId = `$event${++ids}`;
        found.messages.push({ eventId, txnId, content: structuredClone(content) });
        return eventId;
      }),

    failNext(operation, error, times = 1) {
      failures.set(operation, { error, remaining: times });
    },

    roomByAlias(alias) {
      const roomId = aliases.get(alias);
      return roomId === undefined ? undefined : rooms.get(roomId);
    },

    joinedMembers(roomId) {
      const found = rooms.get(roomId);
      if (found === undefined) return [];
      return [...found.members]
        .filter(([, membership]) => membership === 'join')
        .map(([userId]) => userId)
        .sort();
    },

    seedUser(userId) {
      register(userId);
    },

    whoami(token) {
      for (const [userId, found] of users) if (found.tokens.has(token)) return userId;
      return undefined;
    },
  };
  return fake;
}
