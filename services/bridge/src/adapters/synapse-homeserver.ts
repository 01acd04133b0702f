import { Appservice, MemoryStorageProvider, type SynapseUserProperties } from 'matrix-bot-sdk';
import type { Logger } from '@ocf/logging';
import { exclusiveNamespaces } from '@ocf/naming';
import type { Sleep } from '@ocf/runtime';
import type { SecretText } from '@ocf/secrets';
import { HomeserverError, isHomeserverError, type Homeserver, type Membership } from '../ports.ts';
import { callHomeserver, type CallPolicy } from './matrix-errors.ts';
import { createAdminAccess } from './synapse-admin.ts';

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
  readonly registrationSharedSecret: SecretText | undefined;
  /** Longest a call waits out rate limits before giving up to the consumer's back-off. */
  readonly maxRateLimitWaitMs?: number;
  readonly sleep?: Sleep;
  readonly logger: Logger;
}

/**
 * The Homeserver port on Synapse, as the fleet's application service: agents are created in its
 * exclusive namespace with no password, and the bridge acts as them (joins, leaves, display names,
 * `m.direct`) with its own token. Password and deactivation go through Synapse's admin API, as the
 * bot (see synapse-admin.ts). matrix-bot-sdk makes every call it has an API for; the few it lacks
 * are written out with `doRequest`, each saying why.
 *
 * Only the client side of matrix-bot-sdk's Appservice is used: the transactions Synapse pushes
 * are served by the bridge's own endpoint (appservice/), which checks the token in constant time.
 */
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
  const admin = createAdminAccess({
    homeserverUrl: options.homeserverUrl,
    botIntent: appservice.botIntent,
    registrationSharedSecret: options.registrationSharedSecret,
    policy,
    logger: options.logger,
  });
  const call = <T>(operation: string, run: () => Promise<T>): Promise<T> =>
    callHomeserver(operation, run, policy);
  /** The agent's own client: the bridge's token, acting as the agent (`user_id` masquerading). */
  const as = (userId: string) => appservice.getIntentForUserId(userId).underlyingClient;

  return {
    botUserId: appservice.botUserId,

    async ping() {
      await call('whoami', () => bot.getWhoAmI());
    },

    async account(userId) {
      await admin.ensure();
      try {
        const user = await call(`look up ${userId}`, () => bot.adminApis.synapse.getUser(userId));
        return { deactivated: user.deactivated === true, displayName: user.displayname ?? undefined };
      } catch (error) {
        if (isHomeserverError(error, 'M_NOT_FOUND')) return undefined;
        throw error;
      }
    },

    async registerAgent(userId) {
      // An existing user (M_USER_IN_USE) counts as registered.
      await call(`register ${userId}`, () => appservice.getIntentForUserId(userId).ensureRegistered());
    },

    async setPassword(userId, password, { reactivate }) {
      await admin.ensure();
      const change: SynapseUserProperties & { logout_devices: boolean } = {
        password: password.reveal(),
        // Every session on an older password ends with it: a rotated credential is useless at once.
        logout_devices: true,
        ...(reactivate ? { deactivated: false } : {}),
      };
      await call(`set the password of ${userId}`, () => bot.adminApis.synapse.upsertUser(userId, change));
    },

    async setDisplayName(userId, displayName) {
      await call(`set the display name of ${userId}`, () => as(userId).setDisplayName(displayName));
    },

    async deactivate(userId) {
      await admin.ensure();
      await call(`deactivate ${userId}`, () =>
        // Synapse's deactivate endpoint has no matrix-bot-sdk API. `erase: false` keeps what the
        // agent said in the rooms readable for the people who were there.
        bot.doRequest('POST', `/_synapse/admin/v1/deactivate/${encodeURIComponent(userId)}`, null, {
          erase: false,
        }),
      );
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
          preset: 'private_chat',
          visibility: 'private',
          name: creation.name,
          topic: creation.topic,
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
