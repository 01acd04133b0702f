import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { resolveConfig } from '../../src/config.ts';
import { hireBody } from '../../src/commands/agents.ts';
import { tail } from '../../src/commands/logs.ts';
import { readOrgFile } from '../../src/org-file-reader.ts';
import { ocf } from './support.ts';

const noConfig = { XDG_CONFIG_HOME: '/nonexistent-ocf-test' };

describe('command line', () => {
  it('has --help on every command, exit 0', async () => {
    for (const argv of [
      [],
      ['hire'],
      ['retire'],
      ['ls'],
      ['status'],
      ['watch'],
      ['rotate'],
      ['sleep'],
      ['wake'],
      ['budget'],
      ['logs'],
      ['org'],
      ['org', 'export'],
      ['org', 'plan'],
      ['org', 'apply'],
    ]) {
      const { code, stdout } = await ocf([...argv, '--help']);
      assert.equal(code, 0, argv.join(' '));
      assert.match(stdout, /^Usage: ocf/, argv.join(' '));
    }
    const { stdout } = await ocf(['--help']);
    assert.match(stdout, /Exit codes:/);
    assert.match(stdout, /OCF_DIRECTORY_URL/);
  });

  it('exits 2 on usage errors: unknown command, unknown flag, missing argument, bad choice', async () => {
    for (const argv of [
      ['fly'],
      ['ls', '--bogus'],
      ['status'],
      ['ls', '--level', 'intern'],
      ['ls', '--limit', '0'],
      ['hire', '--name', 'X'],
      ['sleep'],
      ['budget', 'ada', '--set', '-1'],
      ['budget', 'ada', '--set', 'lots'],
      ['budget', 'ada', '--set', '1000001'],
    ]) {
      const { code, stderr } = await ocf(argv);
      assert.equal(code, 2, `${argv.join(' ')}: ${stderr}`);
      assert.notEqual(stderr, '');
    }
  });

  it('exits 6 with what to do when no directory is configured', async () => {
    const { code, stderr } = await ocf(['ls'], { cwd: await mkdtemp(path.join(tmpdir(), 'ocf-none-')) });
    assert.equal(code, 6);
    assert.match(stderr, /OCF_DIRECTORY_URL/);
  });

  it('exits 1 when the directory cannot be reached', async () => {
    const { code, stderr } = await ocf(['ls', '--url', 'http://127.0.0.1:9', '--token', 't']);
    assert.equal(code, 1);
    assert.match(stderr, /cannot reach the directory/);
  });
});

describe('configuration', () => {
  it('takes each setting from the first that has it: flag, environment, config file, local fleet', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'ocf-config-'));
    const repo = path.join(home, 'repo');
    const fleetDir = path.join(repo, '.local-stack', 'fleet', 'local');
    await mkdir(fleetDir, { recursive: true });
    await writeFile(
      path.join(fleetDir, 'fleet.json'),
      JSON.stringify({ services: { directory: { port: 8123 } } }),
    );
    await writeFile(path.join(fleetDir, 'api-token'), 'fleet-token\n');
    const cwd = path.join(repo, 'some', 'dir');
    await mkdir(cwd, { recursive: true });

    const fleet = await resolveConfig({ flags: {}, env: noConfig, cwd });
    assert.equal(fleet.directoryUrl, 'http://127.0.0.1:8123');
    assert.equal(fleet.token, 'fleet-token');

    await mkdir(path.join(home, 'xdg', 'ocf'), { recursive: true });
    await writeFile(
      path.join(home, 'xdg', 'ocf', 'config.json'),
      JSON.stringify({ directoryUrl: 'https://file.example/', token: 'file-token' }),
    );
    const file = await resolveConfig({ flags: {}, env: { XDG_CONFIG_HOME: path.join(home, 'xdg') }, cwd });
    assert.equal(file.directoryUrl, 'https://file.example');
    assert.equal(file.token, 'file-token');

    const env = await resolveConfig({
      flags: {},
      env: {
        XDG_CONFIG_HOME: path.join(home, 'xdg'),
        OCF_DIRECTORY_URL: 'https://env.example',
        OCF_TOKEN: 'env-token',
      },
      cwd,
    });
    assert.deepEqual([env.directoryUrl, env.token], ['https://env.example', 'env-token']);

    const flags = await resolveConfig({
      flags: { url: 'https://flag.example', token: 'flag-token' },
      env: { OCF_DIRECTORY_URL: 'https://env.example', OCF_TOKEN: 'env-token' },
      cwd,
    });
    assert.deepEqual([flags.directoryUrl, flags.token], ['https://flag.example', 'flag-token']);

    // The fleet's token never goes to another directory.
    const elsewhere = await resolveConfig({ flags: { url: 'https://other.example' }, env: noConfig, cwd });
    assert.equal(elsewhere.token, undefined);
    // --env picks another fleet; none here.
    const other = await resolveConfig({ flags: { env: 'staging' }, env: noConfig, cwd });
    assert.equal(other.directoryUrl, undefined);
  });

  it('refuses a broken config file by name (exit 6)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ocf-bad-'));
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ directoryUrl: 'x', password: 'y' }));
    const { code, stderr } = await ocf(['ls', '--config', file]);
    assert.equal(code, 6);
    assert.match(stderr, /"password" is not a known setting/);
  });
});

describe('inputs', () => {
  it('builds a hire from flags, or from a YAML file, not both', async () => {
    assert.deepEqual(
      await hireBody({
        name: 'Ada',
        title: 'Eng',
        level: 'ic',
        department: 'E',
        manager: 'ceo',
        skill: ['a', 'b'],
        id: 'ada',
      }),
      {
        name: 'Ada',
        title: 'Eng',
        level: 'ic',
        department: 'E',
        manager: 'ceo',
        agentId: 'ada',
        skills: ['a', 'b'],
      },
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'ocf-hire-'));
    const file = path.join(dir, 'hire.yaml');
    await writeFile(file, 'agentId: ada\nname: Ada\ntitle: Eng\nlevel: ic\ndepartment: E\nmanager: ceo\n');
    assert.equal((await hireBody({ file })).agentId, 'ada');
    await assert.rejects(hireBody({ file, name: 'x' }), /not both/);
  });

  it('reads YAML and JSON org files with line numbers, and refuses bad syntax by line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ocf-org-'));
    const yaml = path.join(dir, 'org.yaml');
    await writeFile(
      yaml,
      'version: 1\ndepartments:\n  - name: Eng\npeople:\n  - id: a\n    name: A\n  - id: b\n    manager: zz\n',
    );
    const read = await readOrgFile(yaml);
    assert.equal(read.lineOf('people[1].manager'), 8);
    assert.equal(read.lineOf('people[1].level'), 7, 'a missing field points at its entry');
    const jsonFile = path.join(dir, 'org.json');
    await writeFile(jsonFile, '{\n  "version": 1,\n  "people": [\n    {"id": "a"}\n  ]\n}\n');
    assert.equal((await readOrgFile(jsonFile)).lineOf('people[0].id'), 4);
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'version: 1\npeople:\n  - id: a\n    id: b\n');
    await assert.rejects(readOrgFile(broken), /broken\.yaml:4/);
  });

  it('reads the last lines of a log file without reading all of it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ocf-logs-'));
    const file = path.join(dir, 'stdout.log');
    await writeFile(file, Array.from({ length: 50_000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    assert.deepEqual(await tail(file, 3), ['line 49997', 'line 49998', 'line 49999']);
  });
});
