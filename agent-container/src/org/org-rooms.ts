import { roomKey, roomsOf, type Naming } from '@ocf/naming';
import type { Person } from './people.ts';

/**
 * The aliases of every org room this person belongs in: the company, their department's
 * leadership (VPs and directors), their team, and one room with their manager and one with each
 * direct report. The bridge creates these rooms from the same rules (@ocf/naming); the agent only
 * needs to recognise them, to decide which invitations to accept and where to answer.
 */
export function orgRoomAliases(naming: Naming, person: Person, reports: readonly Person[]): string[] {
  const rooms = roomsOf(person.agentId, { ...person, managerId: person.manager });
  for (const report of reports) {
    rooms.push({ kind: 'direct', managerId: person.agentId, reportId: report.agentId });
  }
  return rooms.map((room) => naming.alias(roomKey(room)));
}
