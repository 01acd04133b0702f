import { ValidationError } from '@ocf/errors';
import { createMemoryVersionedRecords } from '@ocf/runtime';
import type { AgentChange, AgentFilter, AgentStore, StoredAgent } from '../ports.ts';

/** The AgentStore contract in a Map, for unit tests. Same conditional-write semantics as DynamoDB. */
export function createMemoryAgentStore(): AgentStore & { readonly agents: Map<string, StoredAgent> } {
  const records = createMemoryVersionedRecords<StoredAgent>((agent) => agent.agentId);
  const agents = records.records;
  // When each agent was last written, as the DynamoDB store stamps `changedAt`. Strictly
  // increasing, so two writes in one millisecond still sort in the order they happened.
  const changedAt = new Map<string, string>();
  let lastStamp = 0;
  const stamp = (): string => {
    lastStamp = Math.max(lastStamp + 1, Date.now());
    return new Date(lastStamp).toISOString();
  };
  const clone = (agent: StoredAgent): StoredAgent => structuredClone(agent);
  const matches = (agent: StoredAgent, filter: AgentFilter): boolean =>
    (filter.department === undefined || agent.department === filter.department) &&
    (filter.team === undefined || agent.team === filter.team) &&
    (filter.level === undefined || agent.level === filter.level) &&
    (filter.status === undefined || agent.status === filter.status) &&
    (filter.managerId === undefined || agent.managerId === filter.managerId);

  return {
    agents,
    get: records.get,
    async write(next) {
      const outcome = await records.write(next);
      if (outcome === 'written') changedAt.set(next.agentId, stamp());
      return outcome;
    },
    changedSince(since, limit): Promise<readonly AgentChange[]> {
      const changes = [...changedAt]
        .filter(([, at]) => at > since)
        .sort(([, a], [, b]) => a.localeCompare(b))
        .slice(0, limit)
        .flatMap(([agentId, at]) => {
          const agent = agents.get(agentId);
          return agent === undefined ? [] : [{ agent: clone(agent), changedAt: at }];
        });
      return Promise.resolve(changes);
    },
    list(filter, page) {
      if (filter.team !== undefined && filter.department === undefined) {
        return Promise.reject(
          new ValidationError('team names are unique only within a department: give department too', {
            field: 'query.department',
          }),
        );
      }
      const all = [...agents.values()]
        .filter((a) => matches(a, filter))
        .sort((a, b) => a.agentId.localeCompare(b.agentId));
      const start = page.cursor === undefined ? 0 : Number(page.cursor);
      if (!Number.isInteger(start) || start < 0) {
        return Promise.reject(
          new ValidationError('cursor is not one this API returned', { field: 'query.cursor' }),
        );
      }
      const items = all.slice(start, start + page.limit).map(clone);
      const next = start + page.limit;
      return Promise.resolve({ items, ...(next < all.length ? { cursor: String(next) } : {}) });
    },
    withPendingEvents: (limit) =>
      Promise.resolve(
        [...agents.values()]
          .filter((a) => a.outbox.length > 0)
          .slice(0, limit)
          .map(clone),
      ),
  };
}
