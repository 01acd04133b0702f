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
    page(cursor, limit) {
      // In key order, as a scan's pages: the cursor is the last key of the page before.
      const keys = [...store.records.keys()].sort();
      const from = cursor === undefined ? 0 : keys.findIndex((k) => k > (cursor as string));
      const slice = from < 0 ? [] : keys.slice(from, from + limit);
      const last = slice.at(-1);
      const more = last !== undefined && keys.some((k) => k > last);
      return Promise.resolve({
        items: slice.map((k) => structuredClone(store.records.get(k) as HealthRecord)),
        next: more ? last : undefined,
      });
    },
  };
}
