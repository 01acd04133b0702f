import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * What the entrypoint needs to know about, and do to, the Matrix plugin's sync store (ADR 0019,
 * 0028). Read from @openclaw/matrix 2026.9.6:
 *
 * - Each account's storage root is `matrix/accounts/<account>/<server>__<user>/<token hash>/`, and
 *   its sync position lives in that root's `state/openclaw.sqlite`, table `plugin_state_entries`,
 *   plugin `matrix`, namespace `sync-cache`: a `current:meta` row (`chunkCount`, `cleanShutdown`)
 *   and the sync JSON in chunk rows.
 * - The monitor answers messages sent before its start only when that row says
 *   `cleanShutdown: true` (`dropPreStartupMessages = !client.hasPersistedSyncState()`).
 * - A legacy `bot-storage.json` in a storage root is imported into that store when the client is
 *   created, before the store is opened (`maybeMigrateLegacyStorage`): the plugin's own way in for
 *   a sync position from outside.
 */
const PLUGIN_ID = 'matrix';
const NAMESPACE = 'sync-cache';
const META_KEY = 'current:meta';

export type SyncState =
  /** A saved sync position with the clean-shutdown mark: the next start resumes from it. */
  | 'clean'
  /** A saved sync position without the mark: the next start would drop what it missed. */
  | 'unclean'
  /** No saved sync position at all. */
  | 'none';

/** The sync stores under an OpenClaw state directory (normally one: one account, one device). */
async function syncDatabases(stateDir: string): Promise<string[]> {
  const found: string[] = [];
  const dirs = async (path: string) =>
    (await readdir(path, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory());
  const accounts = join(stateDir, 'matrix', 'accounts');
  for (const account of await dirs(accounts))
    for (const user of await dirs(join(accounts, account.name)))
      for (const root of await dirs(join(accounts, account.name, user.name))) {
        const database = join(accounts, account.name, user.name, root.name, 'state', 'openclaw.sqlite');
        if ((await readdir(join(database, '..')).catch(() => [] as string[])).includes('openclaw.sqlite'))
          found.push(database);
      }
  return found.sort();
}

function readMeta(database: DatabaseSync): { chunkCount?: unknown; cleanShutdown?: unknown } | undefined {
  const hasTable = database
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'plugin_state_entries'")
    .get();
  if (hasTable === undefined) return undefined;
  const row = database
    .prepare(
      'SELECT value_json FROM plugin_state_entries WHERE plugin_id = ? AND namespace = ? AND entry_key = ?',
    )
    .get(PLUGIN_ID, NAMESPACE, META_KEY) as { value_json?: unknown } | undefined;
  if (typeof row?.value_json !== 'string') return undefined;
  const value = JSON.parse(row.value_json) as unknown;
  return typeof value === 'object' && value !== null ? value : undefined;
}

function stateOf(meta: ReturnType<typeof readMeta>): SyncState {
  if (meta === undefined || typeof meta.chunkCount !== 'number' || meta.chunkCount <= 0) return 'none';
  return meta.cleanShutdown === true ? 'clean' : 'unclean';
}

/**
 * The state of the saved sync position under a stopped gateway's state directory: `clean` only if
 * every store with a position has the mark (one without it is what a start would trip on).
 */
export async function inspectSyncState(stateDir: string): Promise<SyncState> {
  const states: SyncState[] = [];
  for (const path of await syncDatabases(stateDir)) {
    const database = new DatabaseSync(path, { readOnly: true });
    try {
      states.push(stateOf(readMeta(database)));
    } finally {
      database.close();
    }
  }
  if (states.includes('unclean')) return 'unclean';
  return states.includes('clean') ? 'clean' : 'none';
}

/**
 * Sets the clean-shutdown mark on every saved sync position that lacks it. Only for a state
 * directory no gateway has open, and only when the inbound replay guard comes along (ADR 0028):
 * the gateway then replays from its last saved position, and the guard skips what it had handled.
 * Returns how many stores it marked.
 */
export async function markSyncClean(stateDir: string): Promise<number> {
  let marked = 0;
  for (const path of await syncDatabases(stateDir)) {
    const database = new DatabaseSync(path);
    try {
      if (stateOf(readMeta(database)) !== 'unclean') continue;
      database
        .prepare(
          "UPDATE plugin_state_entries SET value_json = json_set(value_json, '$.cleanShutdown', json('true')) WHERE plugin_id = ? AND namespace = ? AND entry_key = ?",
        )
        .run(PLUGIN_ID, NAMESPACE, META_KEY);
      marked++;
    } finally {
      database.close();
    }
  }
  return marked;
}

/** OpenClaw's storage root of a Matrix account (its `resolveMatrixAccountStorageRoot`). */
export function matrixStorageRoot(params: {
  readonly stateDir: string;
  readonly homeserverUrl: string;
  readonly userId: string;
  readonly accessToken: string;
  readonly accountId?: string;
}): string {
  const segment = (value: string) =>
    value
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'unknown';
  let server: string;
  try {
    server = segment(new URL(params.homeserverUrl).host || params.homeserverUrl);
  } catch {
    server = segment(params.homeserverUrl);
  }
  const tokenHash = createHash('sha256').update(params.accessToken).digest('hex').slice(0, 16);
  return join(
    params.stateDir,
    'matrix',
    'accounts',
    segment(params.accountId ?? 'default'),
    `${server}__${segment(params.userId)}`,
    tokenHash,
  );
}

/**
 * Gives a gateway that has never run a sync position to start from (ADR 0028): the one the bridge
 * took when it made the agent's first session, before the agent was in any room. With it (and the
 * clean-shutdown mark) the gateway's first sync hands it everything since as new messages, so it
 * answers what it was sent before it first ran. Written as the plugin's legacy sync file, which
 * the plugin imports into its store at start.
 */
export async function seedSyncPosition(params: {
  readonly stateDir: string;
  readonly homeserverUrl: string;
  readonly userId: string;
  readonly accessToken: string;
  readonly since: string;
}): Promise<string> {
  const root = matrixStorageRoot(params);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const file = join(root, 'bot-storage.json');
  const store = {
    version: 1,
    savedSync: {
      nextBatch: params.since,
      accountData: [],
      roomsData: { join: {}, invite: {}, leave: {}, knock: {} },
    },
    cleanShutdown: true,
  };
  await writeFile(file, `${JSON.stringify(store)}\n`, { mode: 0o600 });
  return file;
}
