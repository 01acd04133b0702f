import { mkdir, readFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { join } from 'node:path';
import type { PersonaFiles } from './persona.ts';

/**
 * Writes the fleet-owned persona files into the agent's workspace, leaving everything else (its
 * memory, its notes) untouched. Each file is replaced whole through a rename, so an agent that
 * crashes mid-write, or a reader on another EFS client, never sees half a persona. Unchanged
 * files are not rewritten.
 */
export async function writePersona(workspace: string, files: PersonaFiles): Promise<string[]> {
  await mkdir(join(workspace, 'memory'), { recursive: true, mode: 0o700 });
  const written: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = join(workspace, name);
    if ((await readFile(path, 'utf8').catch(() => undefined)) === content) continue;
    await writeFileAtomic(path, content, { mode: 0o644 });
    written.push(name);
  }
  return written;
}
