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

/** What became of one entry the managers-first runner was given. */
export type ManagersFirstOutcome =
  { readonly ran: true; readonly placed: boolean } | { readonly ran: false; readonly blockedBy: string };

/**
 * Runs `place` for every entry, at most `limit` at a time, never starting an entry before its
 * manager's `place` has finished (a manager outside `entries` is taken as already there). `place`
 * resolves true when the agent is now in the org, so its reports may follow; false when it is not,
 * and then none of its reports (nor theirs) is started: each is reported to `settle` as blocked by
 * the manager it waited for. An entry whose manager never finishes (a loop within `entries`) is
 * reported the same way. Only a throw from `place` is unexpected: nothing new starts, what is
 * running finishes, and the first such error is thrown.
 */
export async function runManagersFirst<T extends { readonly agentId: string; readonly managerId: string }>(
  entries: readonly T[],
  limit: number,
  place: (entry: T) => Promise<boolean>,
  settle: (entry: T, outcome: ManagersFirstOutcome) => void = () => undefined,
): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const inBatch = new Set(entries.map((e) => e.agentId));
  const waitingFor = new Map<string, T[]>();
  const ready: T[] = [];
  for (const entry of entries) {
    if (entry.managerId !== CEO_ID && inBatch.has(entry.managerId)) {
      waitingFor.set(entry.managerId, [...(waitingFor.get(entry.managerId) ?? []), entry]);
    } else {
      ready.push(entry);
    }
  }
  const block = (managerId: string): void => {
    const reports = waitingFor.get(managerId) ?? [];
    waitingFor.delete(managerId);
    for (const report of reports) {
      settle(report, { ran: false, blockedBy: managerId });
      block(report.agentId);
    }
  };

  const running = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  for (;;) {
    while (failure === undefined && running.size < limit && ready.length > 0) {
      const entry = ready.shift() as T;
      const task: Promise<void> = place(entry)
        .then((placed) => {
          settle(entry, { ran: true, placed });
          if (!placed) {
            block(entry.agentId);
            return;
          }
          ready.push(...(waitingFor.get(entry.agentId) ?? []));
          waitingFor.delete(entry.agentId);
        })
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => running.delete(task));
      running.add(task);
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  if (failure !== undefined) throw failure.error;
  for (const managerId of [...waitingFor.keys()]) block(managerId);
}
