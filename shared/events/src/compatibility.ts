/**
 * Tells an additive change to the published event schemas from a breaking one.
 *
 * Both sides of an event validate it (STYLE: "validated on both sides"): a producer built on the
 * old schema must still write events the new consumers accept, and a consumer built on the old
 * schema must still read what new producers write. Consumers drop fields they do not know, so the
 * only changes both can live with are a new optional field and a new event type. Everything else
 * that changes which values are valid is breaking, in either direction: a removed field, a new
 * required field, a field no longer required, a narrowed type or range (old producers' events are
 * refused), a widened one (old consumers refuse the new values), a removed event type. Titles and
 * descriptions are documentation, not contract.
 */

export type JsonSchema = { readonly [keyword: string]: unknown };

export interface SchemaChange {
  readonly kind: 'additive' | 'breaking';
  /** Where, as `<Type>.v<n>` then the path in the schema (`data.team`). */
  readonly at: string;
  readonly change: string;
}

/** Keywords that only document; a change to them breaks nobody. */
const ANNOTATIONS = new Set(['title', 'description', '$id', '$schema', 'examples', 'default', '$comment']);
/** Keywords whose sub-schemas are compared one by one instead of as a whole. */
const STRUCTURE = new Set(['properties', 'required', 'items', 'anyOf', 'oneOf', 'additionalProperties']);

/** Compares two catalogues of schemas keyed by `<Type>.v<n>`: the published one and the new one. */
export function compareCatalogues(
  published: Readonly<Record<string, JsonSchema>>,
  next: Readonly<Record<string, JsonSchema>>,
): SchemaChange[] {
  const changes: SchemaChange[] = [];
  for (const [name, schema] of Object.entries(published)) {
    const now = next[name];
    if (now === undefined) changes.push(breaking(name, 'event type removed'));
    else changes.push(...compareSchemas(schema, now, name));
  }
  for (const name of Object.keys(next)) {
    if (!(name in published)) changes.push({ kind: 'additive', at: name, change: 'new event type' });
  }
  return changes;
}

/** Compares one schema with its next version; `at` names where it sits, for the messages. */
export function compareSchemas(before: JsonSchema, after: JsonSchema, at = ''): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const keywords = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const keyword of keywords) {
    if (ANNOTATIONS.has(keyword) || STRUCTURE.has(keyword)) continue;
    const [was, is] = [before[keyword], after[keyword]];
    if (sameJson(was, is)) continue;
    changes.push(breaking(at, describe(keyword, was, is)));
  }

  const beforeProps = objectOf(before['properties']);
  const afterProps = objectOf(after['properties']);
  const beforeRequired = new Set(stringsOf(before['required']));
  const afterRequired = new Set(stringsOf(after['required']));
  for (const [name, schema] of Object.entries(beforeProps)) {
    const path = join(at, name);
    const now = afterProps[name];
    if (now === undefined) {
      changes.push(breaking(path, 'field removed'));
      continue;
    }
    if (!beforeRequired.has(name) && afterRequired.has(name))
      changes.push(breaking(path, 'optional field made required'));
    if (beforeRequired.has(name) && !afterRequired.has(name))
      changes.push(breaking(path, 'required field made optional: consumers may rely on it'));
    changes.push(...compareSchemas(schemaOf(schema), schemaOf(now), path));
  }
  for (const name of Object.keys(afterProps)) {
    if (name in beforeProps) continue;
    const path = join(at, name);
    changes.push(
      afterRequired.has(name)
        ? breaking(path, 'new required field')
        : { kind: 'additive', at: path, change: 'new optional field' },
    );
  }
  // Required names without a property schema (rare, but legal JSON Schema).
  for (const name of afterRequired) {
    if (!(name in afterProps) && !beforeRequired.has(name))
      changes.push(breaking(join(at, name), 'newly required'));
  }

  for (const keyword of ['items', 'additionalProperties'] as const) {
    const [was, is] = [before[keyword], after[keyword]];
    if (isSchema(was) && isSchema(is)) changes.push(...compareSchemas(was, is, join(at, `[${keyword}]`)));
    else if (!sameJson(was, is)) changes.push(breaking(at, describe(keyword, was, is)));
  }
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const [was, is] = [before[keyword], after[keyword]];
    if (Array.isArray(was) && Array.isArray(is) && was.length === is.length) {
      was.forEach((option, i) => {
        changes.push(...compareSchemas(schemaOf(option), schemaOf(is[i]), join(at, `[${keyword} ${i}]`)));
      });
    } else if (!sameJson(was, is)) {
      changes.push(breaking(at, `${keyword} alternatives changed`));
    }
  }
  return changes;
}

function describe(keyword: string, was: unknown, is: unknown): string {
  if (was === undefined) return `${keyword} ${JSON.stringify(is)} added: narrows what is valid`;
  if (is === undefined) return `${keyword} ${JSON.stringify(was)} dropped: widens what is valid`;
  if (keyword === 'enum' && Array.isArray(was) && Array.isArray(is)) {
    const removed = was.filter((v) => !is.some((w) => sameJson(v, w)));
    const added = is.filter((v) => !was.some((w) => sameJson(v, w)));
    return `enum ${[
      removed.length > 0 ? `no longer allows ${JSON.stringify(removed)} (narrowed)` : '',
      added.length > 0 ? `now allows ${JSON.stringify(added)}, which old consumers refuse (widened)` : '',
    ]
      .filter(Boolean)
      .join('; ')}`;
  }
  return `${keyword} changed from ${JSON.stringify(was)} to ${JSON.stringify(is)}`;
}

function breaking(at: string, change: string): SchemaChange {
  return { kind: 'breaking', at, change };
}

const join = (at: string, name: string): string => (at === '' ? name : `${at}.${name}`);

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const schemaOf = (value: unknown): JsonSchema => (isSchema(value) ? value : {});
const objectOf = (value: unknown): Record<string, unknown> => (isSchema(value) ? { ...value } : {});
const stringsOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** Structural equality of JSON values, key order ignored. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]))
    );
  }
  if (!isSchema(a) || !isSchema(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameJson(a[k], b[k]));
}
