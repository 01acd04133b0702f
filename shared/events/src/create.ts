import { randomUUID } from 'node:crypto';
import { ValidationError } from '@ocf/errors';
import { catalogue, type EventData, type EventDataInput, type EventType } from './catalogue.ts';
import type { EventMetadata } from './envelope.ts';
import { validateEventData } from './parse.ts';

/** An event ready to publish: validated data and complete metadata. */
export interface DraftEvent<T extends EventType = EventType> {
  readonly type: T;
  readonly data: EventData<T>;
  readonly metadata: EventMetadata;
}

export interface CreateEventOptions {
  /** Defaults to a new id; pass one to make a retried publish recognisable as the same event. */
  readonly eventId?: string;
  /** Defaults to the event id: this event starts a new cascade. */
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly now?: Date;
}

/** Validates data against the catalogue and stamps the metadata. Throws ValidationError. */
export function createEvent<T extends EventType>(
  type: T,
  data: EventDataInput<T>,
  options: CreateEventOptions = {},
): DraftEvent<T> {
  const validated = validateEventData(type, data);
  if (!validated.ok) {
    throw new ValidationError(`${type} is invalid: ${validated.message}`, { code: 'EVENT_INVALID' });
  }
  const eventId = options.eventId ?? randomUUID();
  const metadata: EventMetadata = {
    eventId,
    correlationId: options.correlationId ?? eventId,
    occurredAt: (options.now ?? new Date()).toISOString(),
    schemaVersion: catalogue[type].version,
    ...(options.causationId === undefined ? {} : { causationId: options.causationId }),
  };
  return { type, data: validated.data, metadata };
}

/** The EventBridge `Detail` of an event: metadata and data side by side. */
export function toDetail(event: DraftEvent): string {
  return JSON.stringify({ metadata: event.metadata, data: event.data });
}
