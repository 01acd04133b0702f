/**
 * The launcher works an SQS queue's attributes out one at a time (lazy_sqs_queue_attributes in
 * moto_launcher.py): what every caller reads must stay exactly what moto gave before, for
 * queues of every kind. Runs launcher_sqs_attributes.py with the stack's venv (no server).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { defaultStateDir, venvPython } from '../src/paths.ts';

const execFileAsync = promisify(execFile);
const venvDir = process.env['OCF_VENV_DIR'] ?? path.join(defaultStateDir, 'venv');
const driver = path.join(import.meta.dirname, 'launcher_sqs_attributes.py');

describe("moto launcher's lazy SQS queue attributes", { timeout: 60_000 }, () => {
  it('reads the same keys, order and values as moto, counts included', async () => {
    const { stdout } = await execFileAsync(venvPython(venvDir), [driver]);
    assert.deepEqual(JSON.parse(stdout), {
      patched: true,
      'same keys, order and values': true,
      'visible / in flight': [20, 10],
      ContentBasedDeduplication: 'true',
      'RedrivePolicy of a queue without one': null,
    });
  });
});
