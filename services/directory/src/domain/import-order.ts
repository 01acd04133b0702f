import { CEO_ID } from '@ocf/events';

/**
 * Orders an org file so every manager is hired before its reports: a breadth-first walk down
 * from the CEO. Entries whose manager is neither in the file nor `ceo` are walked last (their
 * manager may already be in the org); entries in a loop are never reached and are reported.
 */
export function managersFirst<T extends { readonly agentId: string; readonly managerId: string }>(
  entries: readonly T[],
): { ordered: T[]; unreachable: string[] } {
  const inFile = new Set(entries.map((e) => e.agentId));
  const reportsOf = new Map<string, T[]>();
  for (const entry of entries) {
    const root = entry.managerId === CEO_ID || !inFile.has(entry.managerId) ? CEO_ID : entry.managerId;
    reportsOf.set(root, [...(reportsOf.get(root) ?? []), entry]);
  }
  const ordered: T[] = [];
  const queue: string[] = [CEO_ID];
  const visited = new Set<string>();
  for (let next = 0; next < queue.length; next++) {
    const manager = queue[next] ?? CEO_ID;
    for (const report of reportsOf.get(manager) ?? []) {
      if (visited.has(report.agentId)) continue;
      visited.add(report.agentId);
      ordered.push(report);
      queue.push(report.agentId);
    }
  }
  const unreachable = entries.filter((e) => !visited.has(e.agentId)).map((e) => e.agentId);
  return { ordered, unreachable };
}
