import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roomsOf } from '@ocf/naming';
import type { Position } from '../../src/domain/agent-record.ts';
import { announcesArrivals } from '../../src/domain/org-rooms.ts';

const ic: Position = {
  name: 'Ken Thompson',
  title: 'Staff Engineer',
  level: 'ic',
  department: 'Research & Development',
  team: 'Platform',
  managerId: 'linus',
};

describe('org rooms', () => {
  it('announce arrivals in #all-employees and team rooms only', () => {
    const rooms = roomsOf('ken', { ...ic, level: 'director' });
    assert.deepEqual(
      rooms.filter(announcesArrivals).map((room) => room.kind),
      ['all-employees', 'team'],
    );
  });
});
