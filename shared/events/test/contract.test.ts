import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { renderEventDocs } from '../src/index.ts';

const root = resolve(import.meta.dirname, '../../..');

// The committed JSON Schemas are the published contract. If the code's schemas drift from them,
// the change must be made on purpose (regenerate with `pnpm events:docs`, review the diff, and
// bump the version for anything a consumer could not read).
describe('event contract', () => {
  for (const [path, expected] of renderEventDocs()) {
    it(`${path} matches the catalogue (run \`pnpm events:docs\` after a deliberate change)`, () => {
      let committed: string;
      try {
        committed = readFileSync(resolve(root, path), 'utf8');
      } catch {
        assert.fail(`${path} is missing: run \`pnpm events:docs\``);
      }
      assert.equal(committed, expected);
    });
  }
});
