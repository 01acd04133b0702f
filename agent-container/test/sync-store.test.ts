import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasListened, markListened } from '../src/openclaw/resume.ts';
import { matrixStorageRoot, seedSyncPosition } from '../src/openclaw/sync-store.ts';
import { pluginFunction } from './support/openclaw-sync-store.ts';

describe("a first start's sync position, as OpenClaw's Matrix plugin reads it (ADR 0028)", () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'ocf-sync-seed-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const account = {
    homeserverUrl: 'http://127.0.0.1:8250',
    userId: '@agent-ns_ada:localhost',
    accessToken: 'syt_YWdlbnQ_CANARYtokenvalue_0abc',
  };

  it("finds the account's storage root where the plugin looks for it", async () => {
    const resolve = (await pluginFunction('storage-paths', 'resolveMatrixAccountStorageRoot')) as (p: {
      stateDir: string;
      homeserver: string;
      userId: string;
      accessToken: string;
    }) => { rootDir: string };
    for (const homeserverUrl of [
      'http://127.0.0.1:8250',
      'https://Matrix.Example.org/',
      'http://[::1]:8008',
    ]) {
      const expected = resolve({
        stateDir: scratch,
        homeserver: homeserverUrl,
        userId: account.userId,
        accessToken: account.accessToken,
      }).rootDir;
      assert.equal(
        matrixStorageRoot({ ...account, homeserverUrl, stateDir: scratch }),
        expected,
        homeserverUrl,
      );
    }
  });

  it('writes a position the plugin imports as one saved at a clean shutdown', async () => {
    const read = (await pluginFunction('sync-cache-state', 'readLegacyMatrixSyncCacheState')) as (
      root: string,
    ) => Promise<{ savedSync: { nextBatch: string } | null; cleanShutdown: boolean } | null>;
    await seedSyncPosition({ ...account, stateDir: scratch, since: 's72_1_0_0_0_0_0_0_0_0' });
    const imported = await read(matrixStorageRoot({ ...account, stateDir: scratch }));
    assert.equal(imported?.savedSync?.nextBatch, 's72_1_0_0_0_0_0_0_0_0');
    assert.equal(imported.cleanShutdown, true);
  });

  it('remembers that a gateway listened, so only one that never did is given the position', async () => {
    const storage = await mkdtemp(join(scratch, 'workspace-'));
    assert.equal(await hasListened(storage), false);
    await markListened(storage);
    assert.equal(await hasListened(storage), true);
  });
});
