import type { z } from 'zod';
import { catalogue, isEventType, type EventData, type EventType } from './catalogue.ts';
import { eventBridgeEnvelopeSchema, eventMetadataSchema, type EventMetadata } from './envelope.ts';

/** A fleet event after parsing: typed data, complete metadata, and where it came from. */
export interface FleetEvent<T extends EventType = EventType> {
  readonly type: T;
  readonly data: EventData<T>;
  readonly metadata: EventMetadata;
  readonly source: string;
}

/** A FleetEvent whose `type` narrows its `data` (a discriminated union over the catalogue). */
export type AnyFleetEvent = { [T in EventType]: FleetEvent<T> }[EventType];

export type RejectionReason =
  | 'malformed-json'
  | 'invalid-envelope'
  | 'unknown-type'
  | 'unsupported-version'
  | 'invalid-metadata'
  | 'invalid-data';

/** Why a message can never be handled. Goes to the DLQ with the message. */
export interface Rejection {
  readonly reason: RejectionReason;
  readonly message: string;
  /** Whatever could be read before the problem, to help whoever looks at the DLQ. */
  readonly eventId?: string;
  readonly type?: string;
  /**
   * Once the envelope was read (a known type whose metadata, version or data is wrong): its
   * `source`, its correlation id when that could be read, and `detail.data` as it came, unchecked.
   * Enough for a consumer to answer the publisher (the directory's HireRejected), never trusted.
   */
  readonly request?: {
    readonly source: string;
    readonly correlationId: string | undefined;
    readonly data: unknown;
  };
}

export type ParseResult =
  | { readonly ok: true; readonly event: AnyFleetEvent }
  | { readonly ok: false; readonly rejection: Rejection };

const MAX_MESSAGE_LENGTH = 1000;

/**
 * Parses an SQS message body holding an EventBridge event into a typed fleet event, or says why
 * it cannot. Never throws: the poll loop must survive any input.
 */
export function parseEventMessage(body: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return reject({ reason: 'malformed-json', message: `body is not JSON: ${(error as Error).message}` });
  }

  const envelope = eventBridgeEnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    return reject({
      reason: 'invalid-envelope',
      message: `not an EventBridge event: ${describeIssues(envelope.error)}`,
    });
  }
  const { id, source, time, detail } = envelope.data;
  const type = envelope.data['detail-type'];

  if (!isEventType(type)) {
    return reject({
      reason: 'unknown-type',
      message: `unknown detail-type "${truncate(type, 100)}"`,
      eventId: id,
      type,
    });
  }
  const definition = catalogue[type];

  // Outside publishers may omit metadata: EventBridge's id and time stand in for it.
  const rawMetadata = isRecord(detail['metadata']) ? detail['metadata'] : {};
  const metadata = eventMetadataSchema.safeParse({
    eventId: id,
    correlationId: id,
    occurredAt: normaliseTime(time),
    schemaVersion: definition.version,
    ...rawMetadata,
  });
  const request = (correlationId: string | undefined) => ({ source, correlationId, data: detail['data'] });
  if (!metadata.success) {
    return reject({
      reason: 'invalid-metadata',
      message: `detail.metadata: ${describeIssues(metadata.error)}`,
      eventId: id,
      type,
      request: request(undefined),
    });
  }
  if (metadata.data.schemaVersion !== definition.version) {
    return reject({
      reason: 'unsupported-version',
      message: `${type} version ${metadata.data.schemaVersion} is not supported (this consumer reads version ${definition.version})`,
      eventId: metadata.data.eventId,
      type,
      request: request(metadata.data.correlationId),
    });
  }

  const data = definition.schema.safeParse(detail['data']);
  if (!data.success) {
    return reject({
      reason: 'invalid-data',
      message: `detail.data: ${describeIssues(data.error, 'data')}`,
      eventId: metadata.data.eventId,
      type,
      request: request(metadata.data.correlationId),
    });
  }

  return {
    ok: true,
    event: { type, data: data.data, metadata: metadata.data, source } as AnyFleetEvent,
  };
}

/** Validates event data against the catalogue; returns the parsed data or the issues as text. */
export function validateEventData<T extends EventType>(
  type: T,
  data: unknown,
): { ok: true; data: EventData<T> } | { ok: false; message: string } {
  const result = catalogue[type].schema.safeParse(data);
  return result.success
    ? { ok: true, data: result.data as EventData<T> }
    : { ok: false, message: describeIssues(result.error, 'data') };
}

/** `data.agentId: must be ...; data.level: invalid option` — short, names every field at fault. */
export function describeIssues(error: z.ZodError, prefix?: string): string {
  const parts = error.issues.slice(0, 10).map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  if (error.issues.length > 10) parts.push(`and ${error.issues.length - 10} more`);
  return truncate(parts.join('; '), MAX_MESSAGE_LENGTH);
}

function reject(rejection: Rejection): ParseResult {
  return { ok: false, rejection };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** EventBridge writes `2026-11-25T10:00:00Z`; keep it as ISO-8601 whatever the emulator writes. */
function normaliseTime(time: string): string {
  const parsed = new Date(time);
  return Number.isNaN(parsed.getTime()) ? new Date().toISOString() : parsed.toISOString();
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
