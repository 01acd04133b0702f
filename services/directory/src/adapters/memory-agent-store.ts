import { ValidationError } from '@ocf/errors';
import { createMemoryVersionedRecords } from '@ocf/runtime';
import type { AgentFilter, AgentStore, StoredAgent } from '../ports.ts';

/** The AgentStore contract in a Map, for unit tests. Same conditional-write semantics as DynamoDB. */
export function createMemoryAgentStore(): AgentStore & { readonly agents: Map<string, StoredAgent> } {
  const records = createMemoryVersionedRecords<StoredAgent>((agent) => agent.agentId);
  const agents = records.records;
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
    write: records.write,
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
