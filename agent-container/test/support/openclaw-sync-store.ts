import { createHash, randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * A Matrix account's sync store as @openclaw/matrix 2026.9.6 writes it (its
 * `writeMatrixSyncCacheStateToStore`): `<root>/state/openclaw.sqlite`, OpenClaw's
 * `plugin_state_entries` table in WAL mode, a `current:meta` row and the sync JSON in a chunk row.
 */
export async function writeOpenClawSyncStore(
  root: string,
  options: { readonly nextBatch: string; readonly cleanShutdown: boolean },
): Promise<void> {
  await mkdir(join(root, 'state'), { recursive: true });
  const database = new DatabaseSync(join(root, 'state', 'openclaw.sqlite'));
  try {
    database.exec('PRAGMA journal_mode = WAL');
    // The table as OpenClaw's state worker creates it.
    database.exec(`CREATE TABLE IF NOT EXISTS plugin_state_entries (
  plugin_id TEXT NOT NULL,
  namespace TEXT NOT NULL,
  entry_key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (plugin_id, namespace, entry_key)
) STRICT`);
    const generation = randomUUID().replaceAll('-', '');
    const sync = JSON.stringify({
      nextBatch: options.nextBatch,
      accountData: [],
      roomsData: { join: {}, invite: {}, leave: {}, knock: {} },
    });
    const insert = database.prepare(
      "INSERT INTO plugin_state_entries VALUES ('matrix', 'sync-cache', ?, ?, ?, NULL)",
    );
    insert.run(
      `current:sync:${generation}:0`,
      JSON.stringify({ kind: 'sync-chunk', index: 0, data: sync }),
      Date.now(),
    );
    insert.run(
      'current:meta',
      JSON.stringify({
        kind: 'meta',
        version: 1,
        generation,
        chunkCount: 1,
        syncDigest: createHash('sha256').update(sync, 'utf8').digest('hex'),
        clientOptions: { filter: { room: { timeline: { limit: 10 } } } },
        cleanShutdown: options.cleanShutdown,
      }),
      Date.now(),
    );
  } finally {
    database.close();
  }
}

export function readOpenClawSyncMeta(root: string): Record<string, unknown> {
  const database = new DatabaseSync(join(root, 'state', 'openclaw.sqlite'), { readOnly: true });
  try {
    const row = database
      .prepare(
        "SELECT value_json FROM plugin_state_entries WHERE plugin_id = 'matrix' AND namespace = 'sync-cache' AND entry_key = 'current:meta'",
      )
      .get() as { value_json: string };
    return JSON.parse(row.value_json) as Record<string, unknown>;
  } finally {
    database.close();
  }
}

/**
 * One of the Matrix plugin's own functions, by name, from its bundled code: the paths and the file
 * format the entrypoint writes are checked against the installed plugin, not against a copy of it.
 */
export async function pluginFunction(prefix: string, name: string): Promise<(...args: never[]) => unknown> {
  const require = createRequire(import.meta.url);
  const setup = join(dirname(require.resolve('@openclaw/matrix/package.json')), 'dist', '.setup');
  const file = (await readdir(setup)).find((f) => f.startsWith(`${prefix}-`) && f.endsWith('.mjs'));
  assert.ok(file !== undefined, `the plugin has a ${prefix} module`);
  const module = (await import(join(setup, file))) as Record<string, unknown>;
  const found = Object.values(module).find(
    (value): value is (...args: never[]) => unknown => typeof value === 'function' && value.name === name,
  );
  assert.ok(found !== undefined, `the plugin's ${prefix} module exports ${name}`);
  return found;
}

/**
 * Reads a sync store with the plugin's own reader (`readPersistedStoreFromStore`), through a
 * minimal keyed store over the SQLite file: what the gateway will load.
 */
export async function readWithPlugin(
  root: string,
): Promise<{ savedSync: { nextBatch: string } | null; cleanShutdown: boolean } | null> {
  const read = (await pluginFunction('sync-cache-state', 'readPersistedStoreFromStore')) as (params: {
    storageRootDir: string;
    store: unknown;
  }) => Promise<{ savedSync: { nextBatch: string } | null; cleanShutdown: boolean } | null>;
  const database = new DatabaseSync(join(root, 'state', 'openclaw.sqlite'), { readOnly: true });
  const lookup = (key: string): unknown => {
    const row = database
      .prepare(
        "SELECT value_json FROM plugin_state_entries WHERE plugin_id = 'matrix' AND namespace = 'sync-cache' AND entry_key = ?",
      )
      .get(key) as { value_json: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value_json) as unknown);
  };
  try {
    return await read({
      storageRootDir: root,
      store: {
        lookup: (key: string) => Promise.resolve(lookup(key)),
        lookupMany: (keys: string[]) =>
          Promise.resolve(keys.map((key) => ({ ok: true, value: lookup(key) }))),
      },
    });
  } finally {
    database.close();
  }
}
