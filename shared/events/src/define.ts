import type { z } from 'zod';

/**
 * Who may publish an event: one of the fleet's services (publishing under `ocf.<service>`), or
 * `outside`, any system that is not part of the fleet (any source not starting with `ocf.`).
 * The routing takes each event only from these sources, and IAM lets each publisher put only
 * under its own, so this list is a trust boundary, not documentation.
 */
export const PRODUCERS = [
  'directory',
  'credentials',
  'bridge',
  'provisioning',
  'health',
  'model-gateway',
  'outside',
] as const;
export type Producer = (typeof PRODUCERS)[number];

/**
 * One event type of the catalogue, defined once and used by its producer and every consumer.
 * `audience: 'public'` types are the contract with systems outside the fleet; changing them is
 * a new version, never an edit.
 */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly version: number;
  readonly audience: 'public' | 'internal';
  readonly description: string;
  /** Who publishes it; `outside` only for public events (see `Producer`). */
  readonly producedBy: readonly Producer[];
  readonly schema: TSchema;
  readonly example: z.input<TSchema>;
}

export function defineEvent<const TType extends string, TSchema extends z.ZodType>(
  definition: EventDefinition<TType, TSchema>,
): EventDefinition<TType, TSchema> {
  return Object.freeze(definition);
}
