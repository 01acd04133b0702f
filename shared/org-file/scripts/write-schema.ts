// Writes docs/org-file.schema.json from the schema the directory validates org files with, so
// editors check a file by the same rules. The org-file test fails when the committed copy is stale.
// Run Prettier on it afterwards (pnpm format), as on every file.
//   pnpm org:schema
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { orgFileJsonSchema } from '../src/index.ts';

export const schemaPath = resolve(import.meta.dirname, '../../../docs/org-file.schema.json');

export function schemaText(): string {
  return `${JSON.stringify(orgFileJsonSchema(), null, 2)}\n`;
}

if (import.meta.main) {
  await writeFile(schemaPath, schemaText());
  process.stdout.write(`wrote ${schemaPath}\n`);
}
