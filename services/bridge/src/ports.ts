import { FleetError } from '@ocf/errors';
import type { AgentSecretValue, SecretText } from '@ocf/secrets';
import type { AgentRecord } from './domain/agent-record.ts';
import type { OrgRoom } from '@ocf/naming';
import type { RoomCreation } from './domain/room-design.ts';

// ---------------------------------------------------------------------------------------------
// The homeserver: Synapse through matrix-bot-sdk (adapters/synapse-homeserver.ts), or a Map in
// unit tests (adapters/memory-homeserver.ts). Matrix-shaped and narrow on purpose: the rules of
// the bridge (which rooms, in what order, how often) live in reconcile/, not here.
// ---------------------------------------------------------------------------------------------

export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

export interface ChatAccount {
  readonly displayName: string | undefined;
}

export interface Homeserver {
  /** The fleet's bot: creator (and so owner) of every org room, author of every announcement. */
  readonly botUserId: string;
  /** Resolves when the homeserver answers. */
  ping(): Promise<void>;
  /**
   * Asks the homeserver to call our application-service endpoint now (MSC2659 ping). Resolves
   * when it did; a homeserver that had backed off from an endpoint it could not reach then sends
   * what it held back at once.
   */
  resumePushes(): Promise<void>;

  /** The account as the homeserver has it; undefined if the user was never created. */
  account(userId: string): Promise<ChatAccount | undefined>;
  /** Creates an agent user in the bridge's exclusive namespace, with no password. Idempotent. */
  registerAgent(userId: string): Promise<void>;
  /**
   * Ends every session of the agent, then logs it in as the application service on `deviceId`:
   * the token returned is the only way into the account. No password is involved, so the
   * homeserver hashes nothing (ADR 0020).
   */
  issueAccessToken(userId: string, deviceId: string): Promise<SecretText>;
  /**
   * Where the account's sync stream is now: the `next_batch` of a sync with that token that asks
   * for nothing. A gateway that starts from it is handed everything after (ADR 0028).
   */
  syncPosition(userId: string, accessToken: SecretText): Promise<string>;
  setDisplayName(userId: string, displayName: string): Promise<void>;
  /**
   * Nobody can use the account any more: every session ends and the agent leaves every room it is
   * in. The account never had a password, so after this only the application service could log
   * it in again — which the bridge does on a re-hire (ADR 0020). Idempotent.
   */
  closeAccount(userId: string): Promise<void>;

  /** The room an alias points at, or undefined when nothing has it. */
  resolveAlias(alias: string): Promise<string | undefined>;
  /** Created by the bot. A taken alias is a HomeserverError with errcode `M_ROOM_IN_USE`. */
  createRoom(creation: RoomCreation): Promise<string>;
  membership(roomId: string, userId: string): Promise<Membership | undefined>;
  /** The bot invites. Inviting someone who is in the room already is an error, as on Synapse. */
  invite(roomId: string, userId: string): Promise<void>;
  /**
   * The agent joins (the bridge acts as its agents). Joining twice is harmless. An agent that was
   * not invited is invited by the bot first (matrix-bot-sdk's join strategy for appservices).
   */
  join(roomId: string, userId: string): Promise<void>;
  /** The agent leaves. */
  leave(roomId: string, userId: string): Promise<void>;
  /** Lists the room as a direct chat with `otherUserId` in the agent's `m.direct`. Idempotent. */
  markDirect(userId: string, otherUserId: string, roomId: string): Promise<void>;
  /** The bot sends. The same `txnId` again is the same event, not a second one. */
  send(roomId: string, txnId: string, content: Readonly<Record<string, unknown>>): Promise<string>;
}

/** A homeserver call failed; `retryable` says whether trying again later may help. */
export class HomeserverError extends FleetError {
  /** The Matrix error code (`M_FORBIDDEN`, `M_ROOM_IN_USE`, ...) when the homeserver gave one. */
  readonly errcode: string | undefined;
  /** The HTTP status; undefined when there was no answer at all. */
  readonly status: number | undefined;

  constructor(
    message: string,
    options: {
      retryable: boolean;
      errcode?: string | undefined;
      status?: number | undefined;
      cause?: unknown;
    },
  ) {
    super(options.retryable ? 'HOMESERVER_UNAVAILABLE' : 'HOMESERVER_REJECTED', message, options);
    this.errcode = options.errcode;
    this.status = options.status;
  }
}

export function isHomeserverError(error: unknown, errcode: string): error is HomeserverError {
  return error instanceof HomeserverError && error.errcode === errcode;
}

// ---------------------------------------------------------------------------------------------
// The bridge's own state: DynamoDB (adapters/dynamo-bridge-store.ts) or a Map in unit tests.
// ---------------------------------------------------------------------------------------------

export interface StoredAgent {
  readonly record: AgentRecord;
  /** Bumped by every write; a write names the version it read (optimistic locking). */
  readonly version: number;
}

/** The bridge put an agent (and, in a manager↔report room, its manager) into an org room. */
export interface RoomStay {
  readonly room: OrgRoom;
  /** The room's key (`roomKey` in @ocf/naming), unique per agent. */
  readonly roomKey: string;
  readonly roomId: string;
  /** The agents the bridge joined for this stay: the agent, and in a direct room its manager. */
  readonly members: readonly string[];
  /** Names this stay; announcements derive their transaction ids from it. */
  readonly stayId: string;
  readonly welcomed: boolean;
  readonly farewellSent: boolean;
}

/** An agent whose convergence kept failing transiently (the homeserver is down, say). */
export interface ParkedAgent {
  readonly agentId: string;
  readonly parkedAt: string;
  readonly reason: string;
  /** Of the event that parked it, so what the sweeper publishes joins the same cascade. */
  readonly correlationId: string;
  readonly causationId: string;
}

export interface BridgeStore {
  getAgent(agentId: string): Promise<StoredAgent | undefined>;
  /** Writes unless someone wrote since `expectedVersion` was read (undefined: no record yet). */
  putAgent(record: AgentRecord, expectedVersion: number | undefined): Promise<'written' | 'conflict'>;

  stays(agentId: string): Promise<RoomStay[]>;
  putStay(agentId: string, stay: RoomStay): Promise<void>;
  deleteStay(agentId: string, roomKey: string): Promise<void>;

  /** Takes the agent's lock if it is free or its lease ran out. */
  acquireLock(agentId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** False when the lock is no longer ours. */
  renewLock(agentId: string, owner: string, leaseMs: number): Promise<boolean>;
  releaseLock(agentId: string, owner: string): Promise<void>;

  park(parked: ParkedAgent): Promise<void>;
  parked(limit: number): Promise<ParkedAgent[]>;
  /** Removes the parking, unless it was parked again after `parkedAt`. */
  unpark(agentId: string, parkedAt: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Agents' secrets, read-only: Secrets Manager (adapters/secrets-manager-agent-secrets.ts).
// ---------------------------------------------------------------------------------------------

export interface CurrentSecret {
  /** The version labelled AWSCURRENT. */
  readonly versionId: string;
  readonly value: AgentSecretValue;
}

export interface AgentSecrets {
  current(agentId: string): Promise<CurrentSecret>;
  /**
   * Writes version `basedOn`'s value again with the agent's Matrix access token in it, as a new
   * version that becomes AWSCURRENT only if `basedOn` still is (a rotation in between makes this
   * a retryable AgentSecretReadError). Returns the new version's id. Only the `matrix` part is the
   * bridge's; everything else is copied as the credentials service wrote it.
   */
  addMatrixToken(
    agentId: string,
    basedOn: CurrentSecret,
    matrix: { readonly accessToken: SecretText; readonly deviceId: string; readonly syncFrom?: string },
  ): Promise<string>;
}

/** Reading or writing an agent's secret failed; messages name the secret, never its value. */
export class AgentSecretReadError extends FleetError {
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(options.retryable ? 'AGENT_SECRET_UNAVAILABLE' : 'AGENT_SECRET_UNREADABLE', message, options);
  }
}
