import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ROOM_ALIAS_PREFIX } from '@ocf/naming';
import type { SecretText } from '@ocf/secrets';
import type { RoomCreation } from '../../src/domain/room-design.ts';
import { HomeserverError, type Homeserver } from '../../src/ports.ts';

export interface ContractSubject {
  readonly homeserver: Homeserver;
  readonly serverName: string;
  /** Whose session an access token is, if it works (Synapse's whoami); undefined if it does not. */
  readonly tokenOwner: (token: SecretText) => Promise<string | undefined>;
}

/**
 * What the bridge relies on from any Homeserver, written once and run against the fake (unit
 * tests) and Synapse (integration tests), so the fake cannot drift from the real thing. `unique`
 * gives each check names nobody else uses (Synapse keeps everything between runs).
 */
export function homeserverContract(subject: () => ContractSubject, unique: () => string): void {
  const hs = () => subject().homeserver;
  const agent = () => `@agent-${unique()}:${subject().serverName}`;
  /** An org room's alias localpart: the bridge may only create aliases in its namespace. */
  const orgLocalpart = () => `${ROOM_ALIAS_PREFIX}${unique()}`;
  const room = (aliasLocalpart = orgLocalpart(), invite: string[] = []): RoomCreation => ({
    aliasLocalpart,
    name: 'Contract check',
    topic: 'A room made by the homeserver contract',
    invite,
    agents: [],
    isDirect: false,
    roomVersion: '12',
    powerLevels: { users_default: 0, invite: 50, state_default: 100 },
  });
  const refusal = (errcode: string) => (error: unknown) =>
    error instanceof HomeserverError && error.errcode === errcode && !error.retryable;

  it('answers a ping', async () => {
    await hs().ping();
  });

  it('knows no account for a user never made, and registers one once however often asked', async () => {
    const userId = agent();
    assert.equal(await hs().account(userId), undefined);
    await hs().registerAgent(userId);
    await hs().registerAgent(userId);
    assert.deepEqual(await hs().account(userId), { displayName: userId.slice(1).split(':')[0] });
  });

  it('sets display names, and mints tokens: each new one ends every session before it', async () => {
    const owner = subject().tokenOwner;
    const userId = agent();
    await hs().registerAgent(userId);
    await hs().setDisplayName(userId, 'Ada Lovelace — Staff Engineer');
    assert.equal((await hs().account(userId))?.displayName, 'Ada Lovelace — Staff Engineer');

    const first = await hs().issueAccessToken(userId, 'OCFAGENT');
    assert.equal(await owner(first), userId);
    const second = await hs().issueAccessToken(userId, 'OCFAGENT');
    assert.equal(await owner(second), userId);
    assert.equal(await owner(first), undefined, 'the older token is dead');
  });

  it("gives the sync position of an agent's live session, and refuses a dead one", async () => {
    const userId = agent();
    await hs().registerAgent(userId);
    const first = await hs().issueAccessToken(userId, 'OCFAGENT');
    const position = await hs().syncPosition(userId, first);
    assert.ok(position.length > 0);
    await hs().issueAccessToken(userId, 'OCFAGENT');
    await assert.rejects(hs().syncPosition(userId, first), refusal('M_UNKNOWN_TOKEN'));
  });

  it('closes an account: no session left, out of every room, and a new token opens it again', async () => {
    const owner = subject().tokenOwner;
    const userId = agent();
    await hs().registerAgent(userId);
    const token = await hs().issueAccessToken(userId, 'OCFAGENT');
    const roomId = await hs().createRoom(room());
    await hs().invite(roomId, userId);
    await hs().join(roomId, userId);

    await hs().closeAccount(userId);
    await hs().closeAccount(userId);
    assert.equal(await owner(token), undefined);
    assert.equal(await hs().membership(roomId, userId), 'leave');

    const again = await hs().issueAccessToken(userId, 'OCFAGENT');
    assert.equal(await owner(again), userId, 'a re-hire needs no admin to reopen the account');
  });

  it('resolves an alias to its room, and refuses a second room under it as M_ROOM_IN_USE', async () => {
    const localpart = orgLocalpart();
    const alias = `#${localpart}:${subject().serverName}`;
    assert.equal(await hs().resolveAlias(alias), undefined);
    const roomId = await hs().createRoom(room(localpart));
    assert.equal(await hs().resolveAlias(alias), roomId);
    await assert.rejects(hs().createRoom(room(localpart)), refusal('M_ROOM_IN_USE'));
  });

  it("refuses an alias outside the bridge's namespace as M_EXCLUSIVE", async () => {
    await assert.rejects(hs().createRoom(room(unique())), refusal('M_EXCLUSIVE'));
  });

  it('makes one room of concurrent creates under one alias; the others learn it is taken', async () => {
    const localpart = orgLocalpart();
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => hs().createRoom(room(localpart))));
    const created = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    assert.equal(created.length, 1);
    for (const result of results) {
      if (result.status === 'rejected')
        assert.ok(refusal('M_ROOM_IN_USE')(result.reason), String(result.reason));
    }
    assert.equal(await hs().resolveAlias(`#${localpart}:${subject().serverName}`), created[0]);
  });

  it('lets an agent in by invitation, once, and out again', async () => {
    const userId = agent();
    await hs().registerAgent(userId);
    const roomId = await hs().createRoom(room());
    assert.equal(await hs().membership(roomId, hs().botUserId), 'join');
    assert.equal(await hs().membership(roomId, userId), undefined);

    await hs().invite(roomId, userId);
    assert.equal(await hs().membership(roomId, userId), 'invite');
    await hs().join(roomId, userId);
    await hs().join(roomId, userId);
    assert.equal(await hs().membership(roomId, userId), 'join');
    await assert.rejects(hs().invite(roomId, userId), refusal('M_FORBIDDEN'));

    await hs().markDirect(userId, hs().botUserId, roomId);
    await hs().markDirect(userId, hs().botUserId, roomId);

    await hs().leave(roomId, userId);
    assert.equal(await hs().membership(roomId, userId), 'leave');
  });

  it('has the bot invite an agent that joins without an invitation', async () => {
    const userId = agent();
    await hs().registerAgent(userId);
    const roomId = await hs().createRoom(room());
    await hs().join(roomId, userId);
    assert.equal(await hs().membership(roomId, userId), 'join');
  });

  it('sends one event per transaction id, however often it is sent', async () => {
    const roomId = await hs().createRoom(room());
    const content = { msgtype: 'm.notice', body: 'Hello' };
    const txnId = `contract.${unique()}`;
    const first = await hs().send(roomId, txnId, content);
    assert.equal(await hs().send(roomId, txnId, content), first);
    assert.notEqual(await hs().send(roomId, `${txnId}.other`, content), first);
  });
}
