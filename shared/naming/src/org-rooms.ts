import type { Level } from '@ocf/events';
import { slug } from './naming.ts';

/**
 * The rooms that mirror the org chart, and who belongs in which. Pure: an agent's position in,
 * the rooms it should be in out. The bridge compares that with the rooms it put the agent in
 * before, so a transfer, a promotion or a new manager moves the agent by the difference; an agent
 * computes the same rooms to know which invitations to accept.
 */

export type OrgRoom =
  /** Everyone in the company. */
  | { readonly kind: 'all-employees' }
  /** A department's VP and directors. */
  | { readonly kind: 'leadership'; readonly department: string }
  /** A team, within its department: two departments may both have a "Platform" team. */
  | { readonly kind: 'team'; readonly department: string; readonly team: string }
  /** A manager (an agent, or the CEO) and one direct report. */
  | { readonly kind: 'direct'; readonly managerId: string; readonly reportId: string };

/** The part of an agent's position that decides its org rooms. */
export interface OrgPlace {
  readonly level: Level;
  readonly department: string;
  readonly team?: string | undefined;
  /** An agent id, or `CEO_ID` for the human at the root. */
  readonly managerId: string;
}

const LEADERSHIP_LEVELS: ReadonlySet<Level> = new Set(['vp', 'director']);

/** Every org room an agent in this place belongs in (the rooms with its own reports come with theirs). */
export function roomsOf(agentId: string, place: OrgPlace): OrgRoom[] {
  const rooms: OrgRoom[] = [{ kind: 'all-employees' }];
  if (LEADERSHIP_LEVELS.has(place.level)) {
    rooms.push({ kind: 'leadership', department: place.department });
  }
  if (place.team !== undefined) {
    rooms.push({ kind: 'team', department: place.department, team: place.team });
  }
  rooms.push({ kind: 'direct', managerId: place.managerId, reportId: agentId });
  return rooms;
}

/**
 * A room's identity. Also the base of its alias, which is what makes room creation idempotent:
 * whoever needs the room first creates it under this alias, everyone after finds it there.
 *
 * - `all-employees`
 * - `<department>-leadership`
 * - `<department>.<team>-team`
 * - `dm.<manager>.<report>`
 *
 * Slugs and agent ids never contain a dot, and the kinds differ in their dots and endings, so no
 * two rooms can share a key.
 */
export function roomKey(room: OrgRoom): string {
  switch (room.kind) {
    case 'all-employees':
      return 'all-employees';
    case 'leadership':
      return `${slug(room.department)}-leadership`;
    case 'team':
      return `${slug(room.department)}.${slug(room.team)}-team`;
    case 'direct':
      return `dm.${room.managerId}.${room.reportId}`;
  }
}
