import { createHash } from 'node:crypto';
import { cp, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PLUGIN_MANIFEST } from './state.ts';
import { inspectSyncState, markSyncClean, type SyncState } from './sync-store.ts';

/**
 * Carrying OpenClaw's runtime state across a stop and a start of the agent (ADR 0019).
 *
 * The state directory stays task-local while the gateway runs (ADR 0009: no SQLite on the network
 * file system). When the gateway has stopped cleanly, what it needs to resume is copied into the
 * agent's persistent storage; the next start copies it back before the gateway starts, and
 * consumes it. What makes a resumed gateway answer the messages sent while it was down is the
 * Matrix channel's sync store (`matrix/`: its last sync token, written with a "clean shutdown"
 * mark): OpenClaw's Matrix monitor drops messages older than its start only when it has no sync
 * state from a clean shutdown, and otherwise handles everything since the saved token. Its inbound
 * replay guard (`state/openclaw.sqlite`, with the sessions) comes along, so a message handled
 * before the stop is not handled again.
 *
 * A snapshot is consumed once the resumed gateway listens on Matrix: a run that later crashes leaves
 * none, and its successor starts fresh (dropping what it missed, as before) rather than replaying
 * from an older token and answering again what the crashed run had answered. A run stopped or
 * killed before it listened (a sleep that lands while a wake is still starting) handled nothing and
 * leaves the snapshot to its successor. Never copied: the secrets file, OpenClaw's
 * Matrix credential cache (an access token; the agent logs in again with its password on the same
 * device), the generated config, logs, caches and the plugin link.
 */
export const RESUME_DIR = '.openclaw-resume';

/** Top-level entries of the state directory that are never carried over. */
const NOT_CARRIED = new Set(['secrets', 'credentials', 'logs', 'home', 'npm', 'openclaw.json', 'tmp']);
const MARKER = 'resume.json';

const markerSchema = z.object({
  version: z.literal(1),
  savedAt: z.string(),
  /** The plugin manifest's digest: a state database from another image is not restored. */
  plugins: z.string(),
  entries: z.array(z.string()),
  /** The saved sync position as the gateway left it (ADR 0028); absent in snapshots before it. */
  sync: z.enum(['clean', 'unclean', 'none']).optional(),
});
export type ResumeMarker = z.infer<typeof markerSchema>;

export async function pluginDigest(pluginHome: string): Promise<string> {
  const manifest = await readFile(join(pluginHome, PLUGIN_MANIFEST)).catch(() => Buffer.alloc(0));
  return createHash('sha256').update(manifest).digest('hex').slice(0, 16);
}

/**
 * Copies the resumable part of a stopped gateway's state into `<storage>/.openclaw-resume`,
 * replacing the previous snapshot only once the new one is complete.
 */
export async function saveResumeState(params: {
  readonly stateDir: string;
  readonly storage: string;
  readonly pluginHome: string;
  readonly now?: Date;
}): Promise<ResumeMarker> {
  const target = join(params.storage, RESUME_DIR);
  const partial = `${target}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true, mode: 0o700 });
  const entries: string[] = [];
  for (const name of await readdir(params.stateDir)) {
    if (NOT_CARRIED.has(name)) continue;
    const source = join(params.stateDir, name);
    if ((await lstat(source)).isSymbolicLink()) continue;
    await cp(source, join(partial, name), { recursive: true, verbatimSymlinks: true });
    entries.push(name);
  }
  const marker: ResumeMarker = {
    version: 1,
    savedAt: (params.now ?? new Date()).toISOString(),
    plugins: await pluginDigest(params.pluginHome),
    entries: entries.sort(),
    sync: await inspectSyncState(partial),
  };
  await writeFile(join(partial, MARKER), `${JSON.stringify(marker)}\n`, { mode: 0o600 });
  const previous = `${target}.old-${process.pid}`;
  await rename(target, previous).catch(() => undefined);
  await rename(partial, target);
  await rm(previous, { recursive: true, force: true });
  return marker;
}

export interface Restored {
  readonly entries: readonly string[];
  readonly savedAt: string;
  /** The state database was left behind because the plugins changed since it was saved. */
  readonly droppedStateDatabase: boolean;
  /**
   * The restored sync position (ADR 0028): `clean` as saved; `marked-clean` saved without the
   * clean-shutdown mark and marked here, the replay guard having come back with it; `unclean`
   * left without it (no replay guard: the gateway drops what it missed rather than answer twice);
   * `none` no position.
   */
  readonly sync: SyncState | 'marked-clean';
}

/**
 * Copies a snapshot back into a fresh state directory (before the plugin home seeds it); it stays
 * in the storage until consumeResumeState. No snapshot, or an incomplete one, restores nothing.
 */
export async function restoreResumeState(params: {
  readonly stateDir: string;
  readonly storage: string;
  readonly pluginHome: string;
}): Promise<Restored | undefined> {
  const source = join(params.storage, RESUME_DIR);
  // Leftovers of a save that was cut short (the task was killed while copying).
  for (const name of await readdir(params.storage).catch(() => [] as string[])) {
    if (name.startsWith(`${RESUME_DIR}.partial-`) || name.startsWith(`${RESUME_DIR}.old-`))
      await rm(join(params.storage, name), { recursive: true, force: true });
  }
  let marker: ResumeMarker;
  try {
    marker = markerSchema.parse(JSON.parse(await readFile(join(source, MARKER), 'utf8')));
  } catch {
    // None, or not complete (the save was cut short before its marker): nothing to resume from.
    await rm(source, { recursive: true, force: true });
    return undefined;
  }
  const samePlugins = marker.plugins === (await pluginDigest(params.pluginHome));
  await mkdir(params.stateDir, { recursive: true, mode: 0o700 });
  const restored: string[] = [];
  for (const name of marker.entries) {
    if (NOT_CARRIED.has(name) || name.includes('/') || name.startsWith('.')) continue;
    // The state database also records the installed plugins: one from another image would point
    // at packages that are not there. The Matrix sync store is in `matrix/` and still comes back.
    if (name === 'state' && !samePlugins) continue;
    await cp(join(source, name), join(params.stateDir, name), { recursive: true, verbatimSymlinks: true });
    restored.push(name);
  }
  // OpenClaw's Matrix plugin leaves the clean-shutdown mark off after some stops that still exit 0
  // (a sync that does not quiesce within 5 s, a failed persist): its gateway would then drop every
  // message sent while it was down, the one that woke it too. Its last saved position is at most a
  // few syncs old, and its inbound replay guard (in `state/`, 30 days) remembers every event it
  // handled, so replaying from that position answers only what it had not (ADR 0028). Without the
  // guard (a snapshot from other plugins), a replay could answer twice: left as it is.
  let sync: Restored['sync'] = await inspectSyncState(params.stateDir);
  if (sync === 'unclean' && restored.includes('state') && (await markSyncClean(params.stateDir)) > 0)
    sync = 'marked-clean';
  // Kept until the gateway that resumes from it is listening (consumeResumeState): a run stopped
  // or killed before that handled nothing, and its successor must still resume from it.
  return { entries: restored, savedAt: marker.savedAt, droppedStateDatabase: !samePlugins, sync };
}

/**
 * Removes the snapshot once the gateway that resumed from it is listening on Matrix (its first
 * sync is done; it has answered nothing yet). From then on a crash of that run leaves none, and its
 * successor starts fresh rather than replaying from an older token and answering again what the
 * crashed run answered; a clean stop saves a new one.
 */
export async function consumeResumeState(storage: string): Promise<void> {
  await rm(join(storage, RESUME_DIR), { recursive: true, force: true });
}

/**
 * Left in the agent's storage by every run whose gateway listened on Matrix: from then on the
 * agent has run, and a start with no snapshot (after a crash) starts fresh; only a gateway that
 * has never listened starts from the position its first session was given (ADR 0028).
 */
export const LISTENED_MARKER = '.openclaw-listened';

export async function markListened(storage: string, now: Date = new Date()): Promise<void> {
  await writeFile(join(storage, LISTENED_MARKER), `${now.toISOString()}\n`, { mode: 0o600 });
}

export async function hasListened(storage: string): Promise<boolean> {
  return (await readdir(storage).catch(() => [] as string[])).includes(LISTENED_MARKER);
}
