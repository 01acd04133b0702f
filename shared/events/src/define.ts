import type { z } from 'zod';

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
  /** Which service publishes it (outside systems may also publish public events). */
  readonly producedBy: string;
  readonly schema: TSchema;
  readonly example: z.input<TSchema>;
}

export function defineEvent<const TType extends string, TSchema extends z.ZodType>(
  definition: EventDefinition<TType, TSchema>,
): EventDefinition<TType, TSchema> {
  return Object.freeze(definition);
}
