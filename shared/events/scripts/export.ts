// Writes the event catalogue's docs and JSON Schemas under docs/ (pnpm events:docs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderEventDocs } from '../src/docs.ts';

const root = resolve(import.meta.dirname, '../../..');
for (const [path, content] of renderEventDocs()) {
  const target = resolve(root, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${path}`);
}
