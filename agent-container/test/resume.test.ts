import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  consumeResumeState,
  RESUME_DIR,
  restoreResumeState,
  saveResumeState,
} from '../src/openclaw/resume.ts';
import { PLUGIN_MANIFEST } from '../src/openclaw/state.ts';
import { inspectSyncState } from '../src/openclaw/sync-store.ts';
import {
  readOpenClawSyncMeta,
  readWithPlugin,
  writeOpenClawSyncStore,
} from './support/openclaw-sync-store.ts';

describe("carrying OpenClaw's state across a clean stop (ADR 0019)", () => {
  let scratch: string;
  let pluginHome: string;
  let storage: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'ocf-resume-'));
    pluginHome = join(scratch, 'plugins');
    storage = join(scratch, 'workspace');
    await mkdir(pluginHome, { recursive: true });
    await mkdir(storage, { recursive: true });
    await writeFile(join(pluginHome, PLUGIN_MANIFEST), JSON.stringify({ plugins: { matrix: '1' } }));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function stateDir(name: string): Promise<string> {
    const dir = join(scratch, name);
    await mkdir(join(dir, 'matrix', 'accounts', 'default'), { recursive: true });
    await mkdir(join(dir, 'state'), { recursive: true });
    await mkdir(join(dir, 'secrets'), { recursive: true });
    await mkdir(join(dir, 'credentials', 'matrix'), { recursive: true });
    await writeFile(join(dir, 'matrix', 'accounts', 'default', 'sync.sqlite'), 'sync position');
    await writeFile(join(dir, 'state', 'openclaw.sqlite'), 'replay guard');
    await writeFile(join(dir, 'secrets', 'agent.json'), '{"matrix":{"password":"CANARY-PASSWORD"}}');
    await writeFile(join(dir, 'credentials', 'matrix', 'credentials.json'), '{"accessToken":"CANARY-TOKEN"}');
    await writeFile(join(dir, 'openclaw.json'), '{}');
    await symlink(pluginHome, join(dir, 'npm'));
    return dir;
  }

  it('saves the sync store and state database, never the secrets, the token cache or the config', async () => {
    const saved = await saveResumeState({ stateDir: await stateDir('run-1'), storage, pluginHome });
    assert.deepEqual(saved.entries, ['matrix', 'state']);
    const files = (await readdir(join(storage, RESUME_DIR), { recursive: true })).sort();
    assert.ok(files.includes(join('matrix', 'accounts', 'default', 'sync.sqlite')));
    for (const file of files) {
      const content = await readFile(join(storage, RESUME_DIR, file)).catch(() => Buffer.alloc(0));
      assert.ok(!content.includes('CANARY'), `${file} holds a credential`);
    }
  });

  it('restores into a fresh state directory until consumed, then the snapshot is gone (a crash later starts fresh)', async () => {
    // A run stopped before it listened: the snapshot is still there for the next one.
    const cut = await restoreResumeState({ stateDir: join(scratch, 'run-cut'), storage, pluginHome });
    assert.deepEqual(cut?.entries, ['matrix', 'state']);
    const fresh = join(scratch, 'run-2');
    const restored = await restoreResumeState({ stateDir: fresh, storage, pluginHome });
    await consumeResumeState(storage);
    assert.deepEqual(restored?.entries, ['matrix', 'state']);
    assert.equal(
      await readFile(join(fresh, 'matrix', 'accounts', 'default', 'sync.sqlite'), 'utf8'),
      'sync position',
    );
    assert.equal(await readFile(join(fresh, 'state', 'openclaw.sqlite'), 'utf8'), 'replay guard');
    assert.equal(
      await restoreResumeState({ stateDir: join(scratch, 'run-3'), storage, pluginHome }),
      undefined,
    );
  });

  it('leaves the state database behind when the plugins changed, and ignores a half-written snapshot', async () => {
    await saveResumeState({ stateDir: await stateDir('run-4'), storage, pluginHome });
    await writeFile(join(pluginHome, PLUGIN_MANIFEST), JSON.stringify({ plugins: { matrix: '2' } }));
    const restored = await restoreResumeState({ stateDir: join(scratch, 'run-5'), storage, pluginHome });
    assert.ok(restored);
    assert.deepEqual(restored.entries, ['matrix']);
    assert.equal(restored.droppedStateDatabase, true);
    await consumeResumeState(storage);

    await mkdir(join(storage, RESUME_DIR, 'matrix'), { recursive: true });
    assert.equal(
      await restoreResumeState({ stateDir: join(scratch, 'run-6'), storage, pluginHome }),
      undefined,
    );
    assert.deepEqual(
      (await readdir(storage)).filter((n) => n.startsWith(RESUME_DIR)),
      [],
      'nothing left behind',
    );
  });

  describe("OpenClaw's clean-shutdown mark on the saved sync position (ADR 0028)", () => {
    const account = join(
      'matrix',
      'accounts',
      'default',
      '127.0.0.1_8008__agent-ada_localhost',
      '0123456789abcdef',
    );

    async function gatewayState(name: string, cleanShutdown: boolean): Promise<string> {
      const dir = join(scratch, name);
      await mkdir(join(dir, 'state'), { recursive: true });
      await writeFile(join(dir, 'state', 'openclaw.sqlite'), 'replay guard');
      await writeOpenClawSyncStore(join(dir, account), { nextBatch: 's42_7', cleanShutdown });
      return dir;
    }

    it('says in the snapshot whether the gateway marked its position clean', async () => {
      assert.equal(
        (await saveResumeState({ stateDir: await gatewayState('clean', true), storage, pluginHome })).sync,
        'clean',
      );
      assert.equal(
        (await saveResumeState({ stateDir: await gatewayState('unclean', false), storage, pluginHome })).sync,
        'unclean',
      );
      const none = join(scratch, 'none');
      await mkdir(join(none, 'state'), { recursive: true });
      assert.equal((await saveResumeState({ stateDir: none, storage, pluginHome })).sync, 'none');
      await consumeResumeState(storage);
    });

    it('marks an unclean position clean at restore when the replay guard comes back with it', async () => {
      await writeFile(join(pluginHome, PLUGIN_MANIFEST), JSON.stringify({ plugins: { matrix: '3' } }));
      const stopped = await gatewayState('unclean-2', false);
      await saveResumeState({ stateDir: stopped, storage, pluginHome });
      const fresh = join(scratch, 'resumed');
      const restored = await restoreResumeState({ stateDir: fresh, storage, pluginHome });
      assert.equal(restored?.sync, 'marked-clean');
      assert.equal(await inspectSyncState(fresh), 'clean');
      const meta = readOpenClawSyncMeta(join(fresh, account));
      assert.equal(meta['cleanShutdown'], true);
      // Only the mark changed: the position and the rest of OpenClaw's row are as the gateway wrote them.
      assert.equal(meta['chunkCount'], 1);
      assert.equal(meta['kind'], 'meta');
      // And the plugin's own reader loads it as a position saved at a clean shutdown.
      const loaded = await readWithPlugin(join(fresh, account));
      assert.equal(loaded?.savedSync?.nextBatch, 's42_7');
      assert.equal(loaded.cleanShutdown, true);
      // The snapshot in the agent's storage is untouched (no SQLite write on the shared file system).
      assert.equal(await inspectSyncState(join(storage, RESUME_DIR)), 'unclean');
      await consumeResumeState(storage);
    });

    it('leaves it unclean when the replay guard does not come back (other plugins): dropping beats answering twice', async () => {
      await saveResumeState({ stateDir: await gatewayState('unclean-3', false), storage, pluginHome });
      await writeFile(join(pluginHome, PLUGIN_MANIFEST), JSON.stringify({ plugins: { matrix: '4' } }));
      const fresh = join(scratch, 'resumed-other-plugins');
      const restored = await restoreResumeState({ stateDir: fresh, storage, pluginHome });
      assert.deepEqual(restored?.entries, ['matrix']);
      assert.equal(restored.sync, 'unclean');
      assert.equal(await inspectSyncState(fresh), 'unclean');
      const loaded = await readWithPlugin(join(fresh, account));
      assert.equal(loaded?.savedSync?.nextBatch, 's42_7');
      assert.equal(loaded.cleanShutdown, false, 'the gateway will drop what it missed');
      await consumeResumeState(storage);
    });
  });
});
