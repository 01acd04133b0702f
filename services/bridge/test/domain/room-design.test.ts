import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { designRoom } from '../../src/domain/room-design.ts';

const context = { aliasLocalpart: 'x', ceoUserId: '@ceo:hs' };

describe('room design', () => {
  it('leaves the room to the fleet: agents talk, the CEO moderates, only the creator changes it', () => {
    const { powerLevels, invite, roomVersion } = designRoom({ kind: 'all-employees' }, context);
    assert.equal(roomVersion, '12');
    assert.deepEqual(invite, ['@ceo:hs']);
    assert.deepEqual(powerLevels['users'], { '@ceo:hs': 50 });
    assert.equal(powerLevels['users_default'], 0);
    assert.equal(powerLevels['events_default'], 0);
    assert.equal(powerLevels['invite'], 50);
    assert.equal(powerLevels['state_default'], 100);
    assert.equal((powerLevels['events'] as Record<string, number>)['m.room.power_levels'], 100);
  });

  it('names rooms for people, and invites the CEO as a direct chat only to its own', () => {
    assert.equal(designRoom({ kind: 'leadership', department: 'Sales' }, context).name, 'Sales leadership');
    const own = designRoom(
      { kind: 'direct', managerId: 'ceo', reportId: 'grace' },
      {
        ...context,
        managerName: 'CEO',
        reportName: 'Grace Hopper',
      },
    );
    assert.equal(own.isDirect, true);
    assert.equal(own.name, 'CEO ↔ Grace Hopper');
    assert.equal('topic' in own, false, 'the name says it: no topic event on every hire');
    assert.equal(
      designRoom({ kind: 'team', department: 'Sales', team: 'Platform' }, context).topic,
      'The Platform team of Sales.',
    );
    assert.equal(
      designRoom({ kind: 'direct', managerId: 'grace', reportId: 'ada' }, context).isDirect,
      false,
    );
  });

  it('invites the agents the room is made for in its initial state and the CEO on its own, never twice', () => {
    const { invite, agents } = designRoom(
      { kind: 'direct', managerId: 'grace', reportId: 'ada' },
      { ...context, members: ['@agent-ada:hs', '@agent-grace:hs', '@ceo:hs'] },
    );
    assert.deepEqual(invite, ['@ceo:hs']);
    assert.deepEqual(agents, ['@agent-ada:hs', '@agent-grace:hs']);
  });
});
