import type { HealthRecord } from '../domain/projection.ts';
import type { HealthStore } from '../ports.ts';

/** Health records in a Map, with the DynamoDB store's version check: for unit tests. */
export function createMemoryHealthStore(): HealthStore & { readonly records: Map<string, HealthRecord> } {
  const records = new Map<string, HealthRecord>();
  return {
    records,
    get: (agentId) => Promise.resolve(structuredClone(records.get(agentId))),
    list: () => Promise.resolve([...records.values()].map((r) => structuredClone(r))),
    put(record) {
      const stored = records.get(record.agentId);
      if ((stored?.version ?? 0) !== record.version) return Promise.resolve('conflict' as const);
      records.set(record.agentId, structuredClone({ ...record, version: record.version + 1 }));
      return Promise.resolve('written' as const);
    },
  };
}
