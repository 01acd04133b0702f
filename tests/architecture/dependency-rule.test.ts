import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const depcruise = resolve(root, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
const config = resolve(root, '.dependency-cruiser.cjs');

function cruise(cwd: string, paths: string[]) {
  return spawnSync(process.execPath, [depcruise, '--config', config, '--no-progress', ...paths], {
    cwd,
    encoding: 'utf8',
  });
}

describe('dependency rule', () => {
  it('passes on the repository', () => {
    const run = cruise(root, ['services', 'shared', 'tests', 'local-stack']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });

  it('fails when a service imports another service', () => {
    const run = cruise(resolve(root, 'tests/fixtures/dependency-rule'), ['services', 'shared']);
    assert.notEqual(run.status, 0);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /services-never-import-each-other/);
    assert.match(run.stdout, /services\/alpha\/src\/main\.ts → services\/beta\/src\/index\.ts/);
    // Importing shared code is fine.
    assert.doesNotMatch(run.stdout, /alpha\/src\/main\.ts → shared/);
  });
});
