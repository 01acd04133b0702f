import type { AgentRecord } from '../domain/agent-record.ts';
import type { AgentStateStore } from '../ports.ts';

/** The state store in a Map, with DynamoDB's semantics (newer fact wins): for unit tests. */
export function createMemoryAgentStateStore(): AgentStateStore & {
  readonly records: Map<string, AgentRecord>;
} {
  const records = new Map<string, AgentRecord>();
  const update = (agentId: string, change: Partial<AgentRecord>): void => {
    records.set(agentId, { ...(records.get(agentId) ?? { agentId }), ...change });
  };
  return {
    records,
    get: (agentId) => Promise.resolve(structuredClone(records.get(agentId))),
    page(cursor, limit) {
      // In key order, as a scan's pages: the cursor is the last key of the page before.
      const keys = [...records.keys()].sort();
      const from = cursor === undefined ? 0 : keys.findIndex((k) => k > (cursor as string));
      const slice = from < 0 ? [] : keys.slice(from, from + limit);
      const last = slice.at(-1);
      const more = last !== undefined && keys.some((k) => k > last);
      return Promise.resolve({
        items: slice.map((k) => structuredClone(records.get(k) as AgentRecord)),
        next: more ? last : undefined,
      });
    },
    recordFact(agentId, key, value) {
      const current = records.get(agentId)?.[key];
      if (current !== undefined && current.at >= value.at) return Promise.resolve('stale' as const);
      update(agentId, { [key]: structuredClone(value) });
      return Promise.resolve('recorded' as const);
    },
    setLaunch(agentId, launch) {
      update(agentId, { launch: structuredClone(launch) });
      return Promise.resolve();
    },
    setLaunchFailure(agentId, failure) {
      update(agentId, { launchFailure: structuredClone(failure) });
      return Promise.resolve();
    },
    setAsleep(agentId, asleep) {
      update(agentId, { asleep: structuredClone(asleep) });
      return Promise.resolve();
    },
    setRetirement(agentId, retirement) {
      update(agentId, { retirement: structuredClone(retirement) });
      return Promise.resolve();
    },
  };
}
