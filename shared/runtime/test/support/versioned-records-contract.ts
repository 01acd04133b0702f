import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { VersionedRecords } from '../../src/index.ts';

export interface Note {
  readonly agentId: string;
  readonly version: number;
  readonly text: string;
  readonly nested?: { readonly list: readonly string[] };
}

/**
 * What the record-with-outbox block relies on from any VersionedRecords: run against the Map
 * (unit tests) and DynamoDB on the emulator (integration tests), so the fake cannot drift.
 * `records()` must return an empty table keyed by `agentId` for each check.
 */
export function versionedRecordsContract(records: () => Promise<VersionedRecords<Note>>): void {
  it('writes version 1 only where nothing is stored yet', async () => {
    const r = await records();
    assert.equal(await r.write({ agentId: 'a', version: 1, text: 'first' }), 'written');
    assert.equal(await r.write({ agentId: 'a', version: 1, text: 'second' }), 'conflict');
    assert.equal((await r.get('a'))?.text, 'first');
    assert.equal(await r.get('nobody'), undefined);
  });

  it('writes version n only over version n - 1 (compare-and-set)', async () => {
    const r = await records();
    await r.write({ agentId: 'b', version: 1, text: 'v1' });
    assert.equal(await r.write({ agentId: 'b', version: 3, text: 'skipped one' }), 'conflict');
    assert.equal(await r.write({ agentId: 'b', version: 2, text: 'v2' }), 'written');
    assert.equal(await r.write({ agentId: 'b', version: 2, text: 'stale' }), 'conflict');
    assert.equal(await r.write({ agentId: 'c', version: 2, text: 'never created' }), 'conflict');
    assert.deepEqual(await r.get('b'), { agentId: 'b', version: 2, text: 'v2' });
  });

  it('round-trips nested values, and what it hands out is a copy', async () => {
    const r = await records();
    const note = { agentId: 'd', version: 1, text: 'x', nested: { list: ['one', 'two'] } };
    await r.write(note);
    const read = await r.get('d');
    assert.deepEqual(read, note);
    read.nested.list.push('three');
    assert.deepEqual((await r.get('d'))?.nested?.list, ['one', 'two']);
  });
}
