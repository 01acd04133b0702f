import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { roomKey, roomsOf, type OrgPlace, type OrgRoom } from '../src/org-rooms.ts';

const ic: OrgPlace = {
  level: 'ic',
  department: 'Research & Development',
  team: 'Platform',
  managerId: 'linus',
};

describe('org rooms', () => {
  it('put an engineer in everyone, its team, and the direct room with its manager', () => {
    assert.deepEqual(roomsOf('ken', ic).map(roomKey), [
      'all-employees',
      'research-and-development.platform-team',
      'dm.linus.ken',
    ]);
  });

  it('seat VPs and directors, and only them, in their department leadership', () => {
    for (const level of ['vp', 'director'] as const) {
      assert.ok(roomsOf('x', { ...ic, level, team: undefined }).some((room) => room.kind === 'leadership'));
    }
    for (const level of ['executive', 'manager', 'ic'] as const) {
      assert.ok(!roomsOf('x', { ...ic, level }).some((room) => room.kind === 'leadership'));
    }
  });

  it('namespace a team by its department', () => {
    assert.notEqual(
      roomKey({ kind: 'team', department: 'Sales', team: 'Platform' }),
      roomKey({ kind: 'team', department: 'Engineering', team: 'Platform' }),
    );
  });

  it('never give two different rooms one key', () => {
    const label = fc.string({ maxLength: 30 });
    const agentId = fc.stringMatching(/^[a-z0-9]{1,5}(?:-[a-z0-9]{1,5}){0,2}$/);
    const room: fc.Arbitrary<OrgRoom> = fc.oneof(
      fc.constant({ kind: 'all-employees' as const }),
      label.map((department) => ({ kind: 'leadership' as const, department })),
      fc.record({ kind: fc.constant('team' as const), department: label, team: label }),
      fc.record({ kind: fc.constant('direct' as const), managerId: agentId, reportId: agentId }),
    );
    // Rooms are the same when their kind and slugs are (labels differing in case share a room).
    const canonical = (r: OrgRoom) => JSON.stringify({ kind: r.kind, key: roomKey(r) });
    fc.assert(
      fc.property(room, room, (a, b) => {
        if (roomKey(a) === roomKey(b)) assert.equal(canonical(a), canonical(b));
      }),
    );
  });
});
