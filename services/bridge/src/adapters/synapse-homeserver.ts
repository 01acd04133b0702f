import { Appservice, MatrixClient, MemoryStorageProvider } from 'matrix-bot-sdk';
import type { Logger } from '@ocf/logging';
import { exclusiveNamespaces } from '@ocf/naming';
import type { Sleep } from '@ocf/runtime';
import { SecretText } from '@ocf/secrets';
import { HomeserverError, isHomeserverError, type Homeserver, type Membership } from '../ports.ts';
import { callHomeserver, type CallPolicy } from './matrix-errors.ts';

export interface SynapseHomeserverOptions {
  readonly homeserverUrl: string;
  readonly serverName: string;
  /** The bridge's application-service registration (Synapse holds the same). */
  readonly registration: {
    readonly id: string;
    readonly asToken: string;
    readonly hsToken: string;
    readonly senderLocalpart: string;
  };
  /** Longest a call waits out rate limits before giving up to the consumer's back-off. */
  readonly maxRateLimitWaitMs?: number;
  readonly sleep?: Sleep;
  readonly logger: Logger;
}

/**
 * The Homeserver port on Synapse, as the fleet's application service: agents are created in its
 * exclusive namespace with no password, and the bridge acts as them (joins, leaves, display names,
 * `m.direct`, ending sessions) with its own token, and logs them in (`m.login.application_service`)
 * to mint their access tokens. Nothing here needs a server admin or the registration shared
 * secret (ADR 0020): the application-service token is the bridge's only credential.
 * matrix-bot-sdk makes every call it has an API for; the few it lacks are written out with
 * `doRequest`, each saying why.
 *
 * Only the client side of matrix-bot-sdk's Appservice is used: the transactions Synapse pushes
 * are served by the bridge's own endpoint (appservice/), which checks the token in constant time.
 */
/** A sync filter that asks for nothing: only the position comes back. */
const NOTHING = {
  presence: { not_types: ['*'] },
  account_data: { not_types: ['*'] },
  room: { rooms: [], account_data: { not_types: ['*'] } },
};

export function createSynapseHomeserver(options: SynapseHomeserverOptions): Homeserver {
  const { registration } = options;
  const owned = exclusiveNamespaces(options.serverName);
  const appservice = new Appservice({
    homeserverName: options.serverName,
    homeserverUrl: options.homeserverUrl,
    // Never listened on: begin() is not called.
    port: 0,
    bindAddress: '127.0.0.1',
    storage: new MemoryStorageProvider(),
    registration: {
      id: registration.id,
      as_token: registration.asToken,
      hs_token: registration.hsToken,
      sender_localpart: registration.senderLocalpart,
      namespaces: {
        users: [{ exclusive: true, regex: owned.users }],
        rooms: [],
        aliases: [{ exclusive: true, regex: owned.aliases }],
      },
    },
  });
  const bot = appservice.botClient;
  const policy: CallPolicy = {
    maxRateLimitWaitMs: options.maxRateLimitWaitMs ?? 30_000,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  };
  const call = <T>(operation: string, run: () => Promise<T>): Promise<T> =>
    callHomeserver(operation, run, policy);
  /** The agent's own client: the bridge's token, acting as the agent (`user_id` masquerading). */
  const as = (userId: string) => appservice.getIntentForUserId(userId).underlyingClient;

  /** Deletes every device and token of the user (`/logout/all`, acting as the user). */
  const endSessions = (userId: string) =>
    call(`end the sessions of ${userId}`, () =>
      as(userId).doRequest('POST', '/_matrix/client/v3/logout/all', null, {}),
    );

  return {
    botUserId: appservice.botUserId,

    async ping() {
      await call('whoami', () => bot.getWhoAmI());
    },

    async resumePushes() {
      // The homeserver pings our endpoint and, on success, ends any back-off from it.
      await call('ping the application-service endpoint', () =>
        bot.doRequest(
          'POST',
          `/_matrix/client/v1/appservice/${encodeURIComponent(registration.id)}/ping`,
          null,
          {},
        ),
      );
    },

    async account(userId) {
      try {
        // The profile is there from registration on; Synapse answers 404 for a user never made.
        const profile = (await call(`look up ${userId}`, () => bot.getUserProfile(userId))) as {
          displayname?: string | null;
        };
        return { displayName: profile.displayname ?? undefined };
      } catch (error) {
        // Synapse says 404 M_NOT_FOUND, or 404 M_UNKNOWN ("No row found (profiles)").
        if (error instanceof HomeserverError && error.status === 404) return undefined;
        throw error;
      }
    },

    async registerAgent(userId) {
      const localpart = userId.slice(1, userId.indexOf(':'));
      try {
        await call(`register ${userId}`, () =>
          // By hand rather than Intent.ensureRegistered: `inhibit_login` spares the homeserver a
          // device and a token nobody would use (the agent's token is minted for its own device).
          bot.doRequest('POST', '/_matrix/client/v3/register', null, {
            type: 'm.login.application_service',
            username: localpart,
            inhibit_login: true,
          }),
        );
      } catch (error) {
        // An existing user counts as registered.
        if (!isHomeserverError(error, 'M_USER_IN_USE')) throw error;
      }
    },

    async issueAccessToken(userId, deviceId) {
      await endSessions(userId);
      const login = (await call(`log in ${userId}`, () =>
        // matrix-bot-sdk has no API for the application-service login type.
        bot.doRequest('POST', '/_matrix/client/v3/login', null, {
          type: 'm.login.application_service',
          identifier: { type: 'm.id.user', user: userId },
          device_id: deviceId,
          initial_device_display_name: 'Open-Claw-Fleet agent',
        }),
      )) as { access_token?: unknown };
      if (typeof login.access_token !== 'string' || login.access_token === '') {
        throw new HomeserverError(`log in ${userId} failed: the answer had no access token`, {
          retryable: true,
        });
      }
      return new SecretText(login.access_token);
    },

    async syncPosition(userId, accessToken) {
      // As the agent's own session (the device OpenClaw will use), asking for nothing: no rooms,
      // presence or account data, and no waiting. Only `next_batch` matters.
      const client = new MatrixClient(options.homeserverUrl, accessToken.reveal());
      const answer = (await call(`take the sync position of ${userId}`, () =>
        client.doRequest('GET', '/_matrix/client/v3/sync', {
          timeout: 0,
          set_presence: 'offline',
          filter: JSON.stringify(NOTHING),
        }),
      )) as { next_batch?: unknown };
      if (typeof answer.next_batch !== 'string' || answer.next_batch === '') {
        throw new HomeserverError(`the sync of ${userId} answered without a position`, { retryable: true });
      }
      return answer.next_batch;
    },

    async setDisplayName(userId, displayName) {
      await call(`set the display name of ${userId}`, () => as(userId).setDisplayName(displayName));
    },

    async closeAccount(userId) {
      const client = as(userId);
      // Org rooms were left already; this is what the agent joined by itself (people's DMs).
      const joined = await call(`list the rooms of ${userId}`, () => client.getJoinedRooms());
      for (const roomId of joined) await call(`leave ${userId}`, () => client.leaveRoom(roomId));
      await endSessions(userId);
    },

    async resolveAlias(alias) {
      try {
        return await call(`resolve ${alias}`, () => bot.resolveRoom(alias));
      } catch (error) {
        if (isHomeserverError(error, 'M_NOT_FOUND')) return undefined;
        throw error;
      }
    },

    async createRoom(creation) {
      const operation = `create #${creation.aliasLocalpart}`;
      const create = () =>
        bot.createRoom({
          room_alias_name: creation.aliasLocalpart,
          room_version: creation.roomVersion,
          // Invite-only, as private_chat would make it, but without the m.room.guest_access event
          // private_chat adds: one state event fewer in every room, the manager↔report room of each
          // hire included. Guests cannot register on the fleet's homeserver, and a room without the
          // event forbids them anyway. The join rule given here replaces public_chat's, and the
          // power levels below replace its defaults; the directory listing stays off (visibility).
          preset: 'public_chat',
          // The agents' invites are state events of the creation, not entries of its `invite`
          // list: Synapse persists a room's initial state in one batch, where an invite of its own
          // is an event persisted alone (docs/benchmarks.md, "Agents invited in a room's initial
          // state"). Such an invite's stripped state holds only the room's creation (Synapse
          // 1.163), which is why people — the CEO — are still invited one by one, after the room
          // is made: their clients show the invite with the room's name.
          initial_state: [
            { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'invite' } },
            ...creation.agents.map((userId) => ({
              type: 'm.room.member',
              state_key: userId,
              content: { membership: 'invite', ...(creation.isDirect ? { is_direct: true } : {}) },
            })),
          ],
          visibility: 'private',
          name: creation.name,
          ...(creation.topic === undefined ? {} : { topic: creation.topic }),
          invite: [...creation.invite],
          is_direct: creation.isDirect,
          power_level_content_override: creation.powerLevels,
          // The fleet's homeserver federates with nobody, and its rooms must not either.
          creation_content: { 'm.federate': false },
        });
      try {
        return await call(operation, create);
      } catch (error) {
        // Synapse checks the alias before it creates the room and claims it after: a create that
        // races another for the same alias fails the check (400 M_ROOM_IN_USE) or the claim
        // (409, M_UNKNOWN). Either way the alias is taken, which is what the port says.
        if (error instanceof HomeserverError && error.status === 409) {
          throw new HomeserverError(`${operation} failed: the alias was taken meanwhile`, {
            retryable: false,
            errcode: 'M_ROOM_IN_USE',
            status: 409,
            cause: error,
          });
        }
        throw error;
      }
    },

    async membership(roomId, userId) {
      try {
        const member = (await call(`read the membership of ${userId}`, () =>
          bot.getRoomStateEvent(roomId, 'm.room.member', userId),
        )) as { membership?: Membership };
        return member.membership;
      } catch (error) {
        if (isHomeserverError(error, 'M_NOT_FOUND')) return undefined;
        throw error;
      }
    },

    async invite(roomId, userId) {
      await call(`invite ${userId}`, () => bot.inviteUser(userId, roomId));
    },

    async join(roomId, userId) {
      await call(`join ${userId}`, () => as(userId).joinRoom(roomId));
    },

    async leave(roomId, userId) {
      await call(`leave ${userId}`, () => as(userId).leaveRoom(roomId));
    },

    async markDirect(userId, otherUserId, roomId) {
      const client = as(userId);
      let direct: Record<string, string[]> = {};
      try {
        direct = await call(`read m.direct of ${userId}`, () =>
          client.getAccountData<Record<string, string[]>>('m.direct'),
        );
      } catch (error) {
        // A new account has none yet (getSafeAccountData would log that as a warning).
        if (!isHomeserverError(error, 'M_NOT_FOUND')) throw error;
      }
      const rooms = direct[otherUserId] ?? [];
      if (rooms.includes(roomId)) return;
      await call(`write m.direct of ${userId}`, () =>
        client.setAccountData('m.direct', { ...direct, [otherUserId]: [...rooms, roomId] }),
      );
    },

    async send(roomId, txnId, content) {
      const sent = (await call(`send to ${roomId}`, () =>
        // matrix-bot-sdk's send methods make up their own transaction id; ours is derived from what
        // is announced, so a resend after a crash is the same event, not a second one.
        bot.doRequest(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(txnId)}`,
          null,
          content,
        ),
      )) as { event_id: string };
      return sent.event_id;
    },
  };
}
