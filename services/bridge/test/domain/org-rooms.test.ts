import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roomsOf } from '@ocf/naming';
import { announcesArrivals } from '../../src/domain/org-rooms.ts';

describe('org rooms', () => {
  it('announce arrivals in #all-employees and team rooms only', () => {
    const director = { level: 'director', department: 'R&D', team: 'Platform', managerId: 'linus' } as const;
    assert.deepEqual(
      roomsOf('ken', director)
        .filter(announcesArrivals)
        .map((room) => room.kind),
      ['all-employees', 'team'],
    );
  });
});
