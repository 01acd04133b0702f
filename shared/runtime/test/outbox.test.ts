import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransientError, ValidationError } from '@ocf/errors';
import { createMemoryLogger } from '@ocf/logging';
import {
  createMemoryPublisher,
  createMemoryVersionedRecords,
  createOutboxWriter,
  outboxEvent,
  type OutboxRecord,
  type VersionedRecords,
} from '../src/index.ts';
import { versionedRecordsContract, type Note } from './support/versioned-records-contract.ts';

interface Item extends OutboxRecord {
  readonly agentId: string;
  readonly title: string;
}

function setup(records: VersionedRecords<Item> = createMemoryVersionedRecords<Item>((i) => i.agentId)) {
  const publisher = createMemoryPublisher();
  const logger = createMemoryLogger();
  const writer = createOutboxWriter<Item>({
    records,
    publisher,
    logger,
    keyOf: (i) => i.agentId,
    maxAttempts: 3,
  });
  return { records, publisher, logger, writer };
}

const retired = (agentId: string) => outboxEvent('AgentRetired', { agentId }, { correlationId: 'corr-1' });

describe('VersionedRecords in memory', () => {
  versionedRecordsContract(() => Promise.resolve(createMemoryVersionedRecords<Note>((n) => n.agentId)));
});

describe('outbox writer', () => {
  it('creates at version 1, then bumps the version on every write; no change writes nothing', async () => {
    const { writer, records } = setup();
    const created = await writer.mutate('ada', () => ({
      agentId: 'ada',
      title: 'x',
      version: 0,
      outbox: [],
    }));
    assert.equal(created.written, true);
    assert.equal(created.record?.version, 1);
    const changed = await writer.mutate('ada', (current) => current && { ...current, title: 'y' });
    assert.equal(changed.record?.version, 2);
    const same = await writer.mutate('ada', () => undefined);
    assert.equal(same.written, false);
    assert.equal((await records.get('ada'))?.version, 2);
  });

  it('reads and decides again when another writer got there first', async () => {
    const inner = createMemoryVersionedRecords<Item>((i) => i.agentId);
    await inner.write({ agentId: 'ada', title: 'start', version: 1, outbox: [] });
    let raced = false;
    const racing: VersionedRecords<Item> = {
      get: (key) => inner.get(key),
      async write(next) {
        if (!raced) {
          raced = true;
          const current = await inner.get(next.agentId);
          if (current) await inner.write({ ...current, title: 'theirs', version: current.version + 1 });
        }
        return inner.write(next);
      },
    };
    const { writer } = setup(racing);
    const seen: string[] = [];
    const { record } = await writer.mutate('ada', (current) => {
      seen.push(current?.title ?? 'none');
      return current && { ...current, title: `${current.title}+mine` };
    });
    assert.deepEqual(seen, ['start', 'theirs']);
    assert.equal(record?.title, 'theirs+mine');
    assert.equal(record.version, 3);
  });

  it('gives up with a retryable error after its attempts, never overwriting', async () => {
    const { writer } = setup({
      get: () => Promise.resolve({ agentId: 'ada', title: 'x', version: 1, outbox: [] }),
      write: () => Promise.resolve('conflict'),
    });
    await assert.rejects(
      writer.mutate('ada', (current) => current && { ...current, title: 'y' }),
      (error) => error instanceof TransientError && error.retryable,
    );
  });

  it('publishes the outbox with the ids and times it was decided with, then clears it', async () => {
    const { writer, publisher, records } = setup();
    const event = retired('ada');
    const { record } = await writer.mutate('ada', () => ({
      agentId: 'ada',
      title: 'x',
      version: 0,
      outbox: [event],
    }));
    assert.ok(record);
    const flushed = await writer.flush(record);
    assert.deepEqual(flushed.outbox, []);
    assert.deepEqual((await records.get('ada'))?.outbox, []);
    assert.equal(publisher.published.length, 1);
    assert.equal(publisher.published[0]?.metadata.eventId, event.eventId);
    assert.equal(publisher.published[0].metadata.occurredAt, event.occurredAt);
    assert.equal(publisher.published[0].metadata.correlationId, 'corr-1');
  });

  it('keeps the outbox when the bus refuses: flush throws, flushQuietly logs and returns the record', async () => {
    const { writer, publisher, records, logger } = setup();
    const { record } = await writer.mutate('ada', () => ({
      agentId: 'ada',
      title: 'x',
      version: 0,
      outbox: [retired('ada')],
    }));
    assert.ok(record);
    publisher.failWith = new Error('bus down');
    await assert.rejects(writer.flush(record), /bus down/);
    assert.equal((await writer.flushQuietly(record)).outbox.length, 1);
    assert.equal((await records.get('ada'))?.outbox.length, 1);
    assert.ok(logger.entries.some((e) => e.level === 'warn'));
    publisher.failWith = undefined;
    await writer.flush(record);
    assert.deepEqual((await records.get('ada'))?.outbox, []);
  });

  it('clears the outbox of a record nobody wrote since without reading it again', async () => {
    const memory = createMemoryVersionedRecords<Item>((i) => i.agentId);
    let reads = 0;
    const { writer, records } = setup({ get: (key) => (reads++, memory.get(key)), write: memory.write });
    const { record } = await writer.mutate('ada', () => ({
      agentId: 'ada',
      title: 'x',
      version: 0,
      outbox: [retired('ada')],
    }));
    assert.ok(record);
    reads = 0;
    const flushed = await writer.flush(record);
    assert.equal(reads, 0);
    assert.deepEqual(flushed, { ...record, outbox: [], version: record.version + 1 });
    assert.deepEqual(await records.get('ada'), flushed);
  });

  it('clears only what it published: an event added meanwhile stays owed', async () => {
    const { writer, records } = setup();
    const first = retired('ada');
    const { record } = await writer.mutate('ada', () => ({
      agentId: 'ada',
      title: 'x',
      version: 0,
      outbox: [first],
    }));
    assert.ok(record);
    const second = retired('ada');
    await writer.mutate('ada', (current) => current && { ...current, outbox: [...current.outbox, second] });
    await writer.flush(record);
    assert.deepEqual(
      (await records.get('ada'))?.outbox.map((e) => e.eventId),
      [second.eventId],
    );
  });

  it('checks an outbox event against the catalogue before any record holds it', () => {
    assert.throws(() => outboxEvent('AgentRetired', { agentId: 'Not A Slug' }), ValidationError);
  });
});
