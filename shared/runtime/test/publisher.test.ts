import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PutEventsCommand, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { catalogue, createEvent } from '@ocf/events';
import { batches, createEventBridgePublisher, PublishError, type PutEventsClient } from '../src/index.ts';

type Call = { detailTypes: string[]; eventIds: string[] };

/** A fake EventBridge that fails the entries a script tells it to, call by call. */
function fakeEventBridge(failures: (eventId: string, call: number) => string | undefined) {
  const calls: Call[] = [];
  const client: PutEventsClient = {
    send(command: PutEventsCommand) {
      const entries = command.input.Entries ?? [];
      const call = calls.length + 1;
      const eventIds = entries.map(
        (e) => (JSON.parse(e.Detail ?? '{}') as { metadata: { eventId: string } }).metadata.eventId,
      );
      calls.push({ detailTypes: entries.map((e) => e.DetailType ?? ''), eventIds });
      const results: PutEventsResultEntry[] = eventIds.map((id) => {
        const code = failures(id, call);
        return code === undefined
          ? { EventId: `eb-${id}` }
          : { ErrorCode: code, ErrorMessage: 'fake failure' };
      });
      return Promise.resolve({
        FailedEntryCount: results.filter((r) => r.ErrorCode).length,
        Entries: results,
      });
    },
  };
  return { client, calls };
}

const noSleep = () => Promise.resolve();
const draft = (n: number) => createEvent('AgentRetired', { agentId: `agent-${n}` });

describe('EventBridge publisher', () => {
  it('sends at most 10 entries per PutEvents call', async () => {
    const { client, calls } = fakeEventBridge(() => undefined);
    const publisher = createEventBridgePublisher({
      client,
      busName: 'bus',
      source: 'ocf.test',
      sleep: noSleep,
    });
    await publisher.publish(...Array.from({ length: 23 }, (_, i) => draft(i)));
    assert.deepEqual(
      calls.map((c) => c.eventIds.length),
      [10, 10, 3],
    );
  });

  it('retries only the entries that failed, keeping their event ids', async () => {
    const events = [draft(1), draft(2), draft(3), draft(4)];
    const flaky = new Set([events[1]!.metadata.eventId, events[3]!.metadata.eventId]);
    // A 200 response with two failed entries on the first call; everything passes after.
    const { client, calls } = fakeEventBridge((id, call) =>
      call === 1 && flaky.has(id) ? 'ThrottlingException' : undefined,
    );
    const publisher = createEventBridgePublisher({
      client,
      busName: 'bus',
      source: 'ocf.test',
      sleep: noSleep,
    });
    await publisher.publish(...events);
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[1]?.eventIds, [events[1]!.metadata.eventId, events[3]!.metadata.eventId]);
  });

  it('gives up with a retryable PublishError naming the error codes', async () => {
    const events = [draft(1), draft(2)];
    const stuck = events[0]!.metadata.eventId;
    const { client, calls } = fakeEventBridge((id) => (id === stuck ? 'InternalFailure' : undefined));
    const publisher = createEventBridgePublisher({
      client,
      busName: 'bus',
      source: 'ocf.test',
      sleep: noSleep,
      maxAttempts: 3,
    });
    await assert.rejects(publisher.publish(...events), (error: unknown) => {
      assert.ok(error instanceof PublishError);
      assert.equal(error.retryable, true);
      assert.deepEqual([...error.failures.entries()], [[stuck, 'InternalFailure']]);
      assert.match(
        error.message,
        /1 event\(s\) not accepted by EventBridge after 3 attempts \(InternalFailure\)/,
      );
      return true;
    });
    assert.equal(calls.length, 3);
  });

  it('treats a failed call as every entry failed, and retries it', async () => {
    let call = 0;
    const client: PutEventsClient = {
      send() {
        call++;
        if (call === 1)
          return Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
        return Promise.resolve({ FailedEntryCount: 0, Entries: [{ EventId: 'ok' }] });
      },
    };
    const publisher = createEventBridgePublisher({
      client,
      busName: 'bus',
      source: 'ocf.test',
      sleep: noSleep,
    });
    await publisher.publish(draft(1));
    assert.equal(call, 2);
  });

  it('validates before sending anything', async () => {
    const { client, calls } = fakeEventBridge(() => undefined);
    const publisher = createEventBridgePublisher({
      client,
      busName: 'bus',
      source: 'ocf.test',
      sleep: noSleep,
    });
    await assert.rejects(
      publisher.emit('AgentHired', { ...catalogue.AgentHired.example, level: 'emperor' as 'ic' }),
      /AgentHired is invalid: data\.level/,
    );
    assert.equal(calls.length, 0);
  });

  it('splits by size as well as count (256 KiB per call)', () => {
    const events = Array.from({ length: 5 }, (_, i) => draft(i));
    // Entries of ~100 KiB: two fit under 256 KiB, a third does not.
    const groups = batches(events, (event) => ({
      Source: 'ocf.test',
      DetailType: event.type,
      Detail: 'x'.repeat(100 * 1024),
    }));
    assert.deepEqual(
      groups.map((g) => g.length),
      [2, 2, 1],
    );
  });
});
