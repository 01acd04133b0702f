import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const depcruise = resolve(root, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
const config = resolve(root, '.dependency-cruiser.cjs');
const fixture = resolve(root, 'tests/fixtures/dependency-rule');

function cruise(cwd: string, paths: string[]) {
  return spawnSync(process.execPath, [depcruise, '--config', config, '--no-progress', ...paths], {
    cwd,
    encoding: 'utf8',
  });
}

describe('dependency rule', () => {
  it('passes on the repository', () => {
    const run = cruise(root, ['services', 'shared', 'tests', 'local-stack', 'agent-container']);
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
  it('fails when shared code imports the local launcher', () => {
    const run = cruise(fixture, ['shared']);
    assert.notEqual(run.status, 0);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /shared-never-imports-local-stack/);
    assert.match(run.stdout, /shared\/leaky\/src\/index\.ts → local-stack\/src\/index\.ts/);
  });

  it('fails when shared code imports a service', () => {
    const run = cruise(fixture, ['shared']);
    assert.notEqual(run.status, 0);
    assert.match(run.stdout, /shared-never-imports-services/);
    assert.match(run.stdout, /shared\/leaky\/src\/index\.ts → services\/beta\/src\/index\.ts/);
  });

  it('fails when the agent container imports a service', () => {
    const run = cruise(fixture, ['agent-container']);
    assert.notEqual(run.status, 0);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /agent-container-never-imports-services/);
    assert.match(run.stdout, /agent-container\/src\/main\.ts → services\/beta\/src\/index\.ts/);
    // Importing shared code is fine.
    assert.doesNotMatch(run.stdout, /agent-container\/src\/main\.ts → shared/);
  });
});
