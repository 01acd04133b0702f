import type { OrgRoom } from '@ocf/naming';

/** Rooms where the company says hello and goodbye when an agent arrives or leaves. */
export function announcesArrivals(room: OrgRoom): boolean {
  return room.kind === 'all-employees' || room.kind === 'team';
}
