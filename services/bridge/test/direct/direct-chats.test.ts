import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDirectChats } from '../../src/direct-chats.ts';
import { HomeserverError, type Homeserver } from '../../src/ports.ts';
import { bridgeHarness, CEO_USER_ID, SERVER } from '../support/harness.ts';

const ROOM = `!person-room:${SERVER}`;

/** The harness's bridge with an agent in the org, and a homeserver that records what is done. */
async function setUp(options: { failJoin?: HomeserverError } = {}) {
  const h = bridgeHarness();
  await h.hire('ada', {
    name: 'Ada Lovelace',
    title: 'VP Engineering',
    level: 'vp',
    department: 'Engineering',
    managerId: 'ceo',
  });
  const joined: [string, string][] = [];
  const direct: [string, string, string][] = [];
  const homeserver = {
    botUserId: h.fake.botUserId,
    join: (roomId: string, userId: string) => {
      if (options.failJoin !== undefined) return Promise.reject(options.failJoin);
      joined.push([roomId, userId]);
      return Promise.resolve();
    },
    markDirect: (userId: string, other: string, roomId: string) => {
      direct.push([userId, other, roomId]);
      return Promise.resolve();
    },
  } as unknown as Homeserver;
  const chats = createDirectChats({ homeserver, store: h.store, naming: h.naming, logger: h.logger });
  const invite = (sender: string, target = h.userId('ada'), isDirect = true) =>
    chats.onRoomEvent({
      type: 'm.room.member',
      sender,
      room_id: ROOM,
      event_id: `$invite-${sender}`,
      state_key: target,
      content: { membership: 'invite', ...(isDirect ? { is_direct: true } : {}) },
    } as never);
  return { h, joined, direct, invite };
}

describe("a person's direct-chat invitation to an agent", () => {
  it('is accepted for the agent, and the room listed as their direct chat', async () => {
    const { h, joined, direct, invite } = await setUp();
    assert.equal(await invite(CEO_USER_ID), 'joined');
    assert.deepEqual(joined, [[ROOM, h.userId('ada')]]);
    assert.deepEqual(direct, [[h.userId('ada'), CEO_USER_ID, ROOM]]);
    // Any person of this homeserver, not only the CEO; the same invitation again is harmless.
    assert.equal(await invite(`@grace:${SERVER}`), 'joined');
    assert.equal(await invite(`@grace:${SERVER}`), 'joined');
  });

  it('is refused from an agent (of any fleet), the bridge bot, another server, or without is_direct', async () => {
    const { h, joined, invite } = await setUp();
    const refused: [string, string, boolean][] = [
      [h.userId('grace'), 'inviter-not-a-person-of-this-homeserver', true],
      [`@agent-otherfleet_bob:${SERVER}`, 'inviter-not-a-person-of-this-homeserver', true],
      [h.fake.botUserId, 'inviter-not-a-person-of-this-homeserver', true],
      ['@ceo:elsewhere.example', 'inviter-not-a-person-of-this-homeserver', true],
      [`@ceo:${SERVER}.evil.example`, 'inviter-not-a-person-of-this-homeserver', true],
      [CEO_USER_ID, 'not-a-direct-invite', false],
    ];
    for (const [sender, verdict, isDirect] of refused)
      assert.equal(await invite(sender, h.userId('ada'), isDirect), verdict, sender);
    assert.deepEqual(joined, []);
  });

  it('is refused for an agent not in the org: unknown, not yet ready, or retired', async () => {
    const { h, joined, invite } = await setUp();
    assert.equal(await invite(CEO_USER_ID, h.userId('nobody')), 'agent-not-active');
    assert.equal(await invite(CEO_USER_ID, `@someone:${SERVER}`), 'not-an-agent-of-this-fleet');
    await h.retire('ada');
    assert.equal(await invite(CEO_USER_ID), 'agent-not-active');
    assert.deepEqual(joined, []);
  });

  it('lets a failure that may pass fail the transaction, and logs one that cannot', async () => {
    const gone = await setUp({
      failJoin: new HomeserverError('join failed: 403 M_FORBIDDEN', {
        retryable: false,
        errcode: 'M_FORBIDDEN',
      }),
    });
    assert.equal(await gone.invite(CEO_USER_ID), 'invite-gone');
    const down = await setUp({ failJoin: new HomeserverError('join failed: HTTP 502', { retryable: true }) });
    await assert.rejects(down.invite(CEO_USER_ID), /502/);
  });
});
