import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CEO_ID } from '@ocf/naming';
import { bridgeHarness, CEO_USER_ID, hireSmallOrg, SMALL_ORG } from '../support/harness.ts';

const RND = 'research-and-development';

describe('hiring the small org through the cascade', () => {
  it('gives every agent an account with its display name and a token in its secret as the only way in', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);

    for (const [agentId, hire] of SMALL_ORG) {
      const user = h.fake.users.get(h.userId(agentId));
      assert.ok(user, agentId);
      assert.equal(user.displayName, `${hire.name} — ${hire.title}`);
      const token = h.secrets.currentOf(agentId)?.value.matrix?.accessToken?.reveal() ?? '';
      assert.equal(h.fake.whoami(token), h.userId(agentId));
      assert.equal(user.tokens.size, 1);
    }
    assert.deepEqual(
      h.publishedOf('ChatAccountReady').map((e) => e.data),
      SMALL_ORG.map(([agentId]) => ({ agentId, matrixUserId: `@agent-${agentId}:fleet.test` })),
    );
  });

  it("puts where the agent's sync stream was before it joined any room in its secret (ADR 0028)", async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);

    const matrix = h.secrets.currentOf('grace')?.value.matrix;
    assert.match(matrix?.syncFrom ?? '', /^s\d+_0$/);
    const calls = h.fake.calls;
    assert.equal(calls.filter((c) => c === 'syncPosition').length, 1);
    assert.ok(calls.indexOf('syncPosition') > calls.indexOf('issueAccessToken'), 'with the new token');
    assert.ok(
      calls.indexOf('join') < 0 || calls.indexOf('syncPosition') < calls.indexOf('join'),
      'before any join',
    );
    assert.ok(h.members('all-employees').includes('grace'), 'then it joined its rooms');
  });

  it('puts each agent in exactly its rooms: everyone, its leadership, its team', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);

    assert.deepEqual(h.members('all-employees'), SMALL_ORG.map(([agentId]) => agentId).sort());
    assert.deepEqual(h.members(`${RND}-leadership`), ['ada', 'alan', 'grace']);
    assert.deepEqual(h.members('sales-leadership'), ['mary']);
    // Two "Platform" teams, one per department, kept apart.
    assert.deepEqual(h.members(`${RND}.platform-team`), ['dennis', 'ken', 'linus']);
    assert.deepEqual(h.members('sales.platform-team'), ['sam']);
    assert.equal(h.room(`${RND}.platform-team`).creation.name, 'Platform · Research & Development');
  });

  it('makes a direct room for every manager and report, marked direct on both sides', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);

    for (const [agentId, hire] of SMALL_ORG) {
      const room = h.room(`dm.${hire.managerId}.${agentId}`);
      const report = h.fake.users.get(h.userId(agentId));
      if (hire.managerId === CEO_ID) {
        assert.deepEqual(h.members(`dm.ceo.${agentId}`), [agentId]);
        assert.equal(room.members.get(CEO_USER_ID), 'invite');
        assert.equal(room.creation.isDirect, true, 'the CEO is invited to it as a direct chat');
        assert.deepEqual(report?.direct[CEO_USER_ID], [room.roomId]);
      } else {
        assert.deepEqual(h.members(`dm.${hire.managerId}.${agentId}`), [agentId, hire.managerId].sort());
        assert.equal(room.creation.isDirect, false, "the CEO's invite is not a direct chat of theirs");
        assert.deepEqual(report?.direct[h.userId(hire.managerId)], [room.roomId]);
        const manager = h.fake.users.get(h.userId(hire.managerId));
        assert.deepEqual(manager?.direct[h.userId(agentId)], [room.roomId]);
      }
    }
  });

  it('creates every room as the bot, invites the CEO to all, and gives no agent any power', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);

    assert.equal(h.fake.rooms.size, 5 + SMALL_ORG.length);
    for (const room of h.fake.rooms.values()) {
      assert.equal(room.members.get(h.fake.botUserId), 'join');
      assert.equal(room.members.get(CEO_USER_ID), 'invite');
      assert.equal(room.creation.roomVersion, '12', 'the creator owns a version 12 room');
      assert.deepEqual((room.creation.powerLevels as { users: unknown }).users, { [CEO_USER_ID]: 50 });
    }
  });

  it('places an agent without reading memberships it has just made, inviting in the create where it can', async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    const before = h.fake.calls.length;
    // Ada's rooms: #all-employees and her department's leadership room exist (Grace's), her
    // direct room with Grace does not.
    await h.hire('ada', SMALL_ORG[1]![1]);
    const calls = h.fake.calls.slice(before);
    const count = (operation: string) => calls.filter((c) => c === operation).length;
    assert.equal(count('createRoom'), 1, 'the direct room');
    assert.equal(count('resolveAlias'), 2, 'the shared rooms only: the new direct room is made first');
    assert.equal(
      count('invite'),
      2,
      'into the two rooms that were there; the new one invited her in its create',
    );
    assert.equal(count('join'), 4, 'Ada three times, Grace in the direct room');
    // Two looks at the bot's membership in a room found by its alias (whenCreated), none at Ada's.
    assert.equal(count('membership'), 2);
    assert.deepEqual(h.members('dm.grace.ada'), ['ada', 'grace']);

    // The bot stays in what it made (a version 12 room's creator cannot be put out): once seen
    // there, it is not looked at again.
    const next = h.fake.calls.length;
    await h.hire('alan', SMALL_ORG[2]![1]);
    assert.equal(h.fake.calls.slice(next).filter((c) => c === 'membership').length, 0);
  });

  it('finds a manager↔report room made before a crash by its alias once its create is refused', async () => {
    const h = bridgeHarness();
    // A first attempt made Grace's direct room and crashed before it recorded her stay.
    const made = await h.fake.createRoom({
      aliasLocalpart: 'org-dm.ceo.grace',
      name: 'CEO ↔ Grace Hopper',
      invite: [CEO_USER_ID],
      agents: [],
      isDirect: true,
      roomVersion: '12',
      powerLevels: {},
    });
    await h.hire('grace', SMALL_ORG[0]![1]);
    const direct = [...h.fake.rooms.values()].filter((r) => r.creation.aliasLocalpart === 'org-dm.ceo.grace');
    assert.deepEqual(
      direct.map((r) => r.roomId),
      [made],
      'no second room',
    );
    assert.deepEqual(h.members('dm.ceo.grace'), ['grace']);
  });

  it('hands an invite that is refused (already in the room) to the membership read, which joins nobody twice', async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    const everyone = h.room('all-employees');
    // Ada is already in #all-employees (a stay lost after she joined), so the invite is refused.
    h.fake.seedUser(h.userId('ada'));
    everyone.members.set(h.userId('ada'), 'join');
    await h.hire('ada', SMALL_ORG[1]![1]);
    assert.equal(everyone.members.get(h.userId('ada')), 'join');
    assert.ok(h.members('all-employees').includes('ada'));
  });

  it('welcomes each agent once in #all-employees and once in its team room', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);

    assert.deepEqual(
      h.announcements('all-employees'),
      SMALL_ORG.map(([agentId]) => `welcome ${agentId}`),
    );
    assert.deepEqual(h.announcements(`${RND}.platform-team`), [
      'welcome linus',
      'welcome ken',
      'welcome dennis',
    ]);
    assert.deepEqual(h.announcements('sales.platform-team'), ['welcome sam']);
    assert.deepEqual(h.announcements(`${RND}-leadership`), [], 'leadership rooms are not announced in');
    const [first] = h.room('all-employees').messages;
    assert.equal(first?.content['body'], 'Please welcome Grace Hopper — VP Engineering to the company!');
    assert.equal(first.content['msgtype'], 'm.notice');
  });

  it('keeps fleets on one homeserver apart by namespace', async () => {
    const h = bridgeHarness({ namespace: 'blue' });
    await h.hire('grace', SMALL_ORG[0]![1]);
    assert.ok(h.fake.users.has('@agent-blue_grace:fleet.test'));
    assert.ok(h.fake.roomByAlias('#org-blue_all-employees:fleet.test'));
    assert.equal(h.fake.roomByAlias('#org-all-employees:fleet.test'), undefined);
  });
});
