import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { renderEventDocs } from '../src/index.ts';
import { compareCatalogues, type JsonSchema } from '../src/compatibility.ts';
import { catalogueJsonSchemas } from '../src/json-schema.ts';

const root = resolve(import.meta.dirname, '../../..');
const schemaDir = resolve(root, 'docs/events');

/** The committed JSON Schemas: the contract published to consumers, keyed by `<Type>.v<n>`. */
function publishedSchemas(): Record<string, JsonSchema> {
  return Object.fromEntries(
    readdirSync(schemaDir)
      .filter((file) => file.endsWith('.schema.json'))
      .map((file) => [
        file.replace(/\.schema\.json$/, ''),
        JSON.parse(readFileSync(resolve(schemaDir, file), 'utf8')) as JsonSchema,
      ]),
  );
}

const changes = compareCatalogues(publishedSchemas(), catalogueJsonSchemas());
const list = (kind: 'additive' | 'breaking') =>
  changes
    .filter((c) => c.kind === kind)
    .map((c) => `  ${c.at}: ${c.change}`)
    .join('\n');

describe('event contract', () => {
  // A consumer built on the published schema must read what the code now writes, and the code
  // must accept what a producer built on it writes. A break is a new version of the event, never
  // an edit; if it is deliberate, the old version's file goes in the same reviewed change.
  it('the catalogue makes no breaking change to the published schemas (docs/events)', () => {
    assert.equal(
      list('breaking'),
      '',
      'breaking changes to published events: make them a new version of the event instead',
    );
  });

  // Additive changes are fine, but the published contract must say what the code accepts.
  for (const [path, expected] of renderEventDocs()) {
    it(`${path} matches the catalogue (run \`pnpm events:docs\` after a deliberate change)`, () => {
      let committed: string;
      try {
        committed = readFileSync(resolve(root, path), 'utf8');
      } catch {
        assert.fail(`${path} is missing: run \`pnpm events:docs\` to publish the additive change`);
      }
      const additive = list('additive');
      assert.equal(
        committed,
        expected,
        additive === ''
          ? undefined
          : `additive changes not published yet: run \`pnpm events:docs\`\n${additive}`,
      );
    });
  }
});
