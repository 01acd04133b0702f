import { z } from 'zod';
import { catalogue, eventTypes, type EventType } from './catalogue.ts';
import { eventMetadataSchema } from './envelope.ts';

/**
 * JSON Schema of one event's EventBridge `detail` ({ metadata, data }), for outside publishers and
 * for the contract check that fails CI when a change would break a consumer.
 */
export function detailJsonSchema(type: EventType): Record<string, unknown> {
  const definition = catalogue[type];
  const detail = z.object({
    metadata: eventMetadataSchema.partial().optional(),
    data: definition.schema,
  });
  return {
    $id: `urn:open-claw-fleet:event:${type}:v${definition.version}`,
    title: `${type} v${definition.version}`,
    description: definition.description,
    ...z.toJSONSchema(detail, { io: 'input', unrepresentable: 'any' }),
  };
}

/** Every event's schema, keyed by `<Type>.v<version>`. */
export function catalogueJsonSchemas(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    eventTypes.map((type) => [`${type}.v${catalogue[type].version}`, detailJsonSchema(type)]),
  );
}
