import { createMemoryVersionedRecords } from '@ocf/runtime';
import type { HealthRecord } from '../domain/projection.ts';
import type { HealthStore } from '../ports.ts';

/** Health records in a Map, with the DynamoDB store's version check: for unit tests. */
export function createMemoryHealthStore(): HealthStore & { readonly records: Map<string, HealthRecord> } {
  const store = createMemoryVersionedRecords<HealthRecord>((record) => record.agentId);
  return {
    records: store.records,
    get: store.get,
    write: store.write,
    list: () => Promise.resolve([...store.records.values()].map((r) => structuredClone(r))),
  };
}
