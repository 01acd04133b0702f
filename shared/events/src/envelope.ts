import { z } from 'zod';
import { textSchema } from './fields.ts';

/**
 * What every fleet event carries besides its data. Lives in `detail.metadata`; EventBridge's own
 * envelope (id, time, source) stays untouched around it.
 *
 * Outside publishers (an HR tool, the AWS CLI) may leave `metadata` out: the consumer then takes
 * the event id and time from EventBridge's envelope, so a raw `put-events` is a first-class hire.
 */
export const eventMetadataSchema = z.object({
  /** Unique per event; consumers dedupe on it. A publisher retry keeps the same id. */
  eventId: textSchema.min(1).max(128),
  /** Shared by every event of one cascade: the hire request and everything it set off. */
  correlationId: textSchema.min(1).max(128),
  /** The event id that caused this one, when it was caused by an event. */
  causationId: textSchema.min(1).max(128).optional(),
  occurredAt: z.iso.datetime({ offset: true }),
  /** Version of the data schema; a breaking change is a new version, never an edit. */
  schemaVersion: z.number().int().positive(),
});

export type EventMetadata = z.infer<typeof eventMetadataSchema>;

/** The parts of an EventBridge event (as delivered to an SQS target) that consumers read. */
export const eventBridgeEnvelopeSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  time: z.string().min(1),
  detail: z.record(z.string(), z.unknown()),
});

export type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelopeSchema>;

/** Source names our own services publish under; outside publishers use any other source. */
export const FLEET_SOURCE_PREFIX = 'ocf.';
