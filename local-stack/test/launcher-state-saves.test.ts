/**
 * The launcher's state saver pickles moto's state only after a request that may have changed it
 * (ADR 0015): reads and empty long polls, most of a busy fleet's requests, cost no save. Runs
 * launcher_state_saves.py with the stack's venv, against a moto server of its own on a free port.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { defaultStateDir, venvPython } from '../src/paths.ts';

const execFileAsync = promisify(execFile);
const venvDir = process.env['OCF_VENV_DIR'] ?? path.join(defaultStateDir, 'venv');
const driver = path.join(import.meta.dirname, 'launcher_state_saves.py');

describe("moto launcher's state saver", { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ocf-launcher-saves-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pickles after writes and a ReceiveMessage that returns a message, and skips after reads', async () => {
    const { stdout } = await execFileAsync(venvPython(venvDir), [
      driver,
      String(await freePort()),
      path.join(dir, 'state.pickle'),
    ]);
    assert.deepEqual(JSON.parse(stdout), {
      pickled: {
        'nothing since the first save': false,
        CreateQueue: true,
        'reads and an empty ReceiveMessage': false,
        SendMessage: true,
        'ReceiveMessage returning a message': true,
        DeleteMessage: true,
        CreateTable: true,
        PutItem: true,
        'GetItem, Query, Scan, DescribeTable': false,
        'a refused conditional PutItem (a write: saved to be safe)': true,
        'on the way out, nothing changed': true,
      },
      'items in the saved table': 1,
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => {
        resolve(port);
      });
    });
  });
}
