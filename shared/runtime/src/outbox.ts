import { TransientError } from '@ocf/errors';
import {
  createEvent,
  type DraftEvent,
  type EventData,
  type EventDataInput,
  type EventType,
} from '@ocf/events';
import type { Logger } from '@ocf/logging';
import type { EventPublisher } from './publisher.ts';
import type { Versioned, VersionedRecords } from './versioned-records.ts';

/**
 * An event a record owes the bus, stored in the record itself in the same write as the change
 * that caused it (a transactional outbox in one item). Published right after the write; if that
 * fails (or the process dies), published again later with the same id, which consumers dedupe.
 */
export interface OutboxEvent<T extends EventType = EventType> {
  readonly eventId: string;
  readonly type: T;
  readonly data: EventDataInput<T> | Record<string, unknown>;
  readonly occurredAt: string;
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
}

export interface OutboxRecord extends Versioned {
  readonly outbox: readonly OutboxEvent[];
}

export interface OutboxEventOptions {
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
  readonly now?: Date;
}

/**
 * An outbox entry for `data`, checked against the catalogue now: a record is never written with
 * an event that could not be published. Throws ValidationError.
 */
export function outboxEvent<T extends EventType>(
  type: T,
  data: EventDataInput<T>,
  options: OutboxEventOptions = {},
): OutboxEvent<T> {
  const event = createEvent(type, data, withoutUndefined(options));
  return fromDraft(event, options);
}

/**
 * An outbox entry for data that has already been parsed by the catalogue's schema (a hire request
 * checked at the boundary): stamped, not checked a second time.
 */
export function outboxEventOf<T extends EventType>(
  type: T,
  data: EventData<T>,
  options: OutboxEventOptions & { readonly eventId: string },
): OutboxEvent<T> {
  return {
    eventId: options.eventId,
    type,
    data,
    occurredAt: (options.now ?? new Date()).toISOString(),
    ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
    ...(options.causationId === undefined ? {} : { causationId: options.causationId }),
  };
}

function fromDraft<T extends EventType>(event: DraftEvent<T>, options: OutboxEventOptions): OutboxEvent<T> {
  return {
    eventId: event.metadata.eventId,
    type: event.type,
    data: event.data,
    occurredAt: event.metadata.occurredAt,
    correlationId: event.metadata.correlationId,
    ...(options.causationId === undefined ? {} : { causationId: options.causationId }),
  };
}

/** The event as it goes on the bus: same id, same time, same correlation as when it was decided. */
export function outboxDraft(event: OutboxEvent): DraftEvent {
  return createEvent(event.type, event.data as never, {
    eventId: event.eventId,
    now: new Date(event.occurredAt),
    ...(event.correlationId === undefined ? {} : { correlationId: event.correlationId }),
    ...(event.causationId === undefined ? {} : { causationId: event.causationId }),
  });
}

export interface OutboxWriterOptions<R extends OutboxRecord> {
  readonly records: VersionedRecords<R>;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  readonly keyOf: (record: R) => string;
  /** Compare-and-set rounds before giving up: something is badly contended. */
  readonly maxAttempts?: number;
  /** Applied to every record about to be written (a service stamps `updatedAt`, say). */
  readonly beforeWrite?: (next: R, current: R | undefined) => R;
  /** Called once per event after the bus accepted it. */
  readonly onPublished?: (record: R, event: OutboxEvent) => void;
  /** The error thrown when every attempt lost a race. */
  readonly contended?: (key: string, attempts: number) => Error;
}

export interface Mutation<R> {
  /** The record as stored after the call (undefined if there is none and none was written). */
  readonly record: R | undefined;
  readonly written: boolean;
}

/** The next record from the stored one (which may be absent); `undefined` leaves it as it is. */
export type Change<R> = (current: R | undefined) => R | undefined | Promise<R | undefined>;

export interface OutboxWriter<R extends OutboxRecord> {
  /**
   * Read, change, write if still as read; on a lost race, read and change again. `change` gets
   * the stored record (or undefined) and returns the next one, or `undefined` (or the same
   * object) to leave it as it is; it may throw to refuse. The version is set here.
   */
  mutate(key: string, change: Change<R>): Promise<Mutation<R>>;
  /** Publishes what the record owes the bus, then clears it from the outbox. Throws if the bus refuses. */
  flush(record: R): Promise<R>;
  /** `flush`, but a failure is logged and left to the next sweep: the record is already safe. */
  flushQuietly(record: R): Promise<R>;
}

const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * The record-with-outbox write both the directory and health rely on: every change and the events
 * it causes are written together with compare-and-set, then published, then cleared. A crash
 * between the write and the publish republishes the same events; it never loses or invents one.
 */
export function createOutboxWriter<R extends OutboxRecord>(options: OutboxWriterOptions<R>): OutboxWriter<R> {
  const { records, publisher, logger, keyOf } = options;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const contended =
    options.contended ??
    ((key: string, attempts: number) =>
      new TransientError('WRITE_CONTENDED', `gave up writing ${key} after ${attempts} concurrent writes`));

  async function mutate(key: string, change: Change<R>): Promise<Mutation<R>> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const current = await records.get(key);
      const changed = await change(current);
      if (changed === undefined || changed === current) return { record: current, written: false };
      const stamped = options.beforeWrite?.(changed, current) ?? changed;
      const next = { ...stamped, version: (current?.version ?? 0) + 1 };
      if ((await records.write(next)) === 'written') return { record: next, written: true };
    }
    throw contended(key, maxAttempts);
  }

  async function flush(record: R): Promise<R> {
    if (record.outbox.length === 0) return record;
    await publisher.publish(...record.outbox.map(outboxDraft));
    for (const event of record.outbox) options.onPublished?.(record, event);
    const published = new Set(record.outbox.map((e) => e.eventId));
    try {
      // Most often nobody wrote the record since it was read or written here: clear against its
      // version straight away, and read it again only if that write loses (one read fewer).
      const rest = { ...record, outbox: record.outbox.filter((e) => !published.has(e.eventId)) };
      const stamped = { ...(options.beforeWrite?.(rest, record) ?? rest), version: record.version + 1 };
      if ((await records.write(stamped)) === 'written') return stamped;
      const { record: cleared } = await mutate(keyOf(record), (current) =>
        current === undefined || !current.outbox.some((e) => published.has(e.eventId))
          ? undefined
          : { ...current, outbox: current.outbox.filter((e) => !published.has(e.eventId)) },
      );
      return cleared ?? record;
    } catch (error) {
      // Left in the outbox: published again later with the same ids, which consumers dedupe.
      logger.warn('events published but not yet cleared from the outbox', { key: keyOf(record), error });
      return record;
    }
  }

  return {
    mutate,
    flush,
    async flushQuietly(record) {
      try {
        return await flush(record);
      } catch (error) {
        logger.warn('events not published yet; the outbox sweeper will retry', { key: keyOf(record), error });
        return record;
      }
    },
  };
}

function withoutUndefined(options: OutboxEventOptions): {
  correlationId?: string;
  causationId?: string;
  now?: Date;
} {
  return {
    ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
    ...(options.causationId === undefined ? {} : { causationId: options.causationId }),
    ...(options.now === undefined ? {} : { now: options.now }),
  };
}
