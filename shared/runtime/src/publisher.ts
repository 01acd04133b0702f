import {
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { FleetError } from '@ocf/errors';
import {
  createEvent,
  toDetail,
  type CreateEventOptions,
  type DraftEvent,
  type EventDataInput,
  type EventType,
} from '@ocf/events';
import { backoffDelayMs, sleep as defaultSleep, type BackoffPolicy, type Sleep } from './backoff.ts';

/** The part of EventBridgeClient the publisher uses, so tests can hand in a fake. */
export interface PutEventsClient {
  send(
    command: PutEventsCommand,
  ): Promise<{ FailedEntryCount?: number | undefined; Entries?: PutEventsResultEntry[] | undefined }>;
}

export interface EventPublisher {
  /** Validates, then publishes; resolves once EventBridge accepted every event. */
  publish(...events: DraftEvent[]): Promise<void>;
  /** Shorthand: create (validate + stamp metadata) and publish one event. */
  emit<T extends EventType>(
    type: T,
    data: EventDataInput<T>,
    options?: CreateEventOptions,
  ): Promise<DraftEvent<T>>;
}

export class PublishError extends FleetError {
  /** Error codes EventBridge returned for the entries that never got in, by event id. */
  readonly failures: ReadonlyMap<string, string>;

  constructor(failures: Map<string, string>, attempts: number, cause?: unknown) {
    const summary = [...new Set(failures.values())].join(', ');
    super(
      'PUBLISH_FAILED',
      `${failures.size} event(s) not accepted by EventBridge after ${attempts} attempts (${summary})`,
      {
        retryable: true,
        cause,
      },
    );
    this.failures = failures;
  }
}

export interface EventBridgePublisherOptions {
  readonly client: PutEventsClient;
  readonly busName: string;
  /** EventBridge `Source` for everything this service publishes, e.g. `ocf.credentials`. */
  readonly source: string;
  readonly maxAttempts?: number;
  readonly backoff?: BackoffPolicy;
  readonly sleep?: Sleep;
}

/** PutEvents takes at most 10 entries and 256 KiB per call. */
const MAX_ENTRIES_PER_CALL = 10;
const MAX_BYTES_PER_CALL = 256 * 1024;

/**
 * Publishes fleet events to EventBridge. PutEvents can answer 200 and still drop entries
 * (throttling, internal errors): every entry's result is checked and only the failed ones are
 * sent again, with back-off, keeping their event ids so consumers can dedupe a double delivery.
 */
export function createEventBridgePublisher(options: EventBridgePublisherOptions): EventPublisher {
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = options.backoff ?? { baseMs: 100, maxMs: 5_000 };
  const sleep = options.sleep ?? defaultSleep;

  function toEntry(event: DraftEvent): PutEventsRequestEntry {
    return {
      EventBusName: options.busName,
      Source: options.source,
      DetailType: event.type,
      Detail: toDetail(event),
      Time: new Date(event.metadata.occurredAt),
    };
  }

  async function putBatch(batch: DraftEvent[]): Promise<void> {
    let pending = batch;
    let lastFailures = new Map<string, string>();
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, backoff));
      let entries: PutEventsResultEntry[];
      try {
        const result = await options.client.send(new PutEventsCommand({ Entries: pending.map(toEntry) }));
        entries = result.Entries ?? [];
      } catch (error) {
        // The whole call failed (network, throttled before it was read): every entry is pending.
        lastError = error;
        lastFailures = new Map(pending.map((e) => [e.metadata.eventId, errorName(error)]));
        continue;
      }
      // Result entries line up with request entries; a failed one has an ErrorCode.
      const failed: DraftEvent[] = [];
      lastFailures = new Map();
      pending.forEach((event, index) => {
        const entry = entries[index];
        if (entry === undefined || entry.ErrorCode !== undefined || entry.EventId === undefined) {
          failed.push(event);
          lastFailures.set(event.metadata.eventId, entry?.ErrorCode ?? 'NoResultEntry');
        }
      });
      if (failed.length === 0) return;
      pending = failed;
    }
    throw new PublishError(lastFailures, maxAttempts, lastError);
  }

  async function publish(...events: DraftEvent[]): Promise<void> {
    for (const batch of batches(events, toEntry)) await putBatch(batch);
  }

  return {
    publish,
    async emit(type, data, createOptions) {
      const event = createEvent(type, data, createOptions);
      await publish(event);
      return event;
    },
  };
}

/** Splits events into PutEvents calls of at most 10 entries and 256 KiB. */
export function batches(
  events: DraftEvent[],
  toEntry: (event: DraftEvent) => PutEventsRequestEntry,
): DraftEvent[][] {
  const result: DraftEvent[][] = [];
  let current: DraftEvent[] = [];
  let currentBytes = 0;
  for (const event of events) {
    const size = entrySize(toEntry(event));
    if (
      current.length === MAX_ENTRIES_PER_CALL ||
      (current.length > 0 && currentBytes + size > MAX_BYTES_PER_CALL)
    ) {
      result.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(event);
    currentBytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/** EventBridge's documented size rule: UTF-8 bytes of Source, DetailType, Detail, resources, plus 14 for Time. */
function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined): number => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    14 +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0)
  );
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}

/** For unit tests: records what would be published; `failWith` makes the next publishes fail. */
export function createMemoryPublisher(): EventPublisher & {
  readonly published: DraftEvent[];
  failWith: Error | undefined;
} {
  const state = {
    published: [] as DraftEvent[],
    failWith: undefined as Error | undefined,
    publish(...events: DraftEvent[]): Promise<void> {
      if (state.failWith !== undefined) return Promise.reject(state.failWith);
      state.published.push(...events);
      return Promise.resolve();
    },
    async emit<T extends EventType>(
      type: T,
      data: EventDataInput<T>,
      options?: CreateEventOptions,
    ): Promise<DraftEvent<T>> {
      const event = createEvent(type, data, options);
      await state.publish(event);
      return event;
    },
  };
  return state;
}
