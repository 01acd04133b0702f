import { CEO_ID, type Level } from '@ocf/events';
import { LEVEL_RANK } from '@ocf/org-file';
import { isActive, type AgentRecord, type Position } from './agent.ts';

/**
 * Who may report to whom. The CEO outranks everyone; a manager must outrank the report.
 * Executive staff report to the CEO; VPs to the CEO or executive staff; and so on down.
 */
export { LEVEL_RANK } from '@ocf/org-file';

/** A rule the org chart would break, with the field to blame. */
export interface OrgViolation {
  readonly field: 'managerId' | 'level' | 'agentId';
  readonly code: 'UNKNOWN_MANAGER' | 'REPORTING_CYCLE' | 'LEVEL_CANNOT_REPORT' | 'HAS_REPORTS';
  readonly message: string;
}

export type FindAgent = (agentId: string) => Promise<AgentRecord | undefined>;

/** Checks a new or changed position against the org. `agentId` is the agent being placed. */
export async function checkPosition(
  agentId: string,
  position: Position,
  findAgent: FindAgent,
): Promise<OrgViolation | undefined> {
  if (position.managerId === agentId) {
    return { field: 'managerId', code: 'REPORTING_CYCLE', message: `${agentId} cannot report to itself` };
  }
  let managerLevel: Level | 'ceo' = 'ceo';
  let manager: AgentRecord | undefined;
  if (position.managerId !== CEO_ID) {
    manager = await findAgent(position.managerId);
    if (manager === undefined || !isActive(manager)) {
      return {
        field: 'managerId',
        code: 'UNKNOWN_MANAGER',
        message: `no active agent "${position.managerId}" to report to`,
      };
    }
    managerLevel = manager.level;
  }
  if (LEVEL_RANK[managerLevel] <= LEVEL_RANK[position.level]) {
    return {
      field: 'level',
      code: 'LEVEL_CANNOT_REPORT',
      message: `a ${position.level} cannot report to a ${managerLevel} (${position.managerId})`,
    };
  }
  // The walk up starts at the manager just read: no second read of it.
  const known = manager;
  return findCycle(agentId, position.managerId, (id) =>
    known !== undefined && id === known.agentId ? Promise.resolve(known) : findAgent(id),
  );
}

/** Walks up from the new manager; reaching the agent itself means the change would close a loop. */
async function findCycle(
  agentId: string,
  managerId: string,
  findAgent: FindAgent,
): Promise<OrgViolation | undefined> {
  const seen = new Set<string>();
  let current = managerId;
  while (current !== CEO_ID) {
    if (current === agentId) {
      return {
        field: 'managerId',
        code: 'REPORTING_CYCLE',
        message: `${agentId} would end up in its own chain of command through ${managerId}`,
      };
    }
    if (seen.has(current)) {
      return {
        field: 'managerId',
        code: 'REPORTING_CYCLE',
        message: `the chain of command above ${managerId} loops`,
      };
    }
    seen.add(current);
    const next = await findAgent(current);
    if (next === undefined) return undefined;
    current = next.managerId;
  }
  return undefined;
}

/** A level change must keep every current report below the agent. */
export function checkReportsStillFit(
  level: Level,
  reports: readonly AgentRecord[],
): OrgViolation | undefined {
  const outranking = reports.filter(
    (report) => isActive(report) && LEVEL_RANK[report.level] >= LEVEL_RANK[level],
  );
  if (outranking.length === 0) return undefined;
  return {
    field: 'level',
    code: 'LEVEL_CANNOT_REPORT',
    message: `as a ${level} it would be outranked by its reports: ${outranking.map((r) => r.agentId).join(', ')}`,
  };
}
