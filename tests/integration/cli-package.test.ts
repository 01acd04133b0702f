import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

// `ocf` installed on its own: built, packed, installed with npm into an empty directory with no
// registry and an empty npm cache, then run from there against the real directory on moto.
describe('ocf as a package, installed outside the repository', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('cli-pkg'));
  const env = { OCF_ENV: routing.environment };
  let service: RunningServiceProcess | undefined;
  let token: string;
  let work: string | undefined;
  let installDir: string;
  let ocf: (
    args: string[],
    extraEnv?: Record<string, string>,
  ) => Promise<{ code: number | null; stdout: string; stderr: string }>;

  before(async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), 'ocf-package-'));
    work = scratch;
    const built = await run(
      process.execPath,
      [path.join(repo, 'cli/scripts/build.ts'), '--pack', path.join(scratch, 'tarballs')],
      {
        cwd: repo,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const tarball = built.stdout.trim().split('\n').at(-1) ?? '';
    assert.match(tarball, /\.tgz$/, built.stdout + built.stderr);

    installDir = path.join(scratch, 'somewhere-else');
    await run('mkdir', ['-p', installDir]);
    await writeFile(path.join(installDir, 'package.json'), '{"name":"operator-tools","private":true}\n');
    // --offline with an empty cache: everything must come from the tarball itself.
    await run(
      'npm',
      [
        'install',
        '--offline',
        '--cache',
        path.join(scratch, 'empty-npm-cache'),
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        tarball,
      ],
      { cwd: installDir, maxBuffer: 16 * 1024 * 1024 },
    );

    ocf = (args, extraEnv = {}) =>
      new Promise((done) => {
        const child = spawn(path.join(installDir, 'node_modules', '.bin', 'ocf'), args, {
          cwd: installDir,
          env: {
            // The `node` the bin's #! line finds is Node 24 (this one), nothing else of this machine's.
            PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
            XDG_CONFIG_HOME: path.join(scratch, 'no-config'),
            ...extraEnv,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('exit', (code) => {
          done({ code, stdout, stderr });
        });
      });

    await applyRouting(routing, clients);
    token = await runServiceScript('directory', 'create-token.ts', ['--name', 'cli-package'], env);
    service = await startServiceProcess('directory', env);
  });

  after(async () => {
    if (service !== undefined) assert.equal(await service.stop(), 0);
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('installs as JavaScript only, its dependencies inside it, with no path back into the repository', async () => {
    const installed = path.join(installDir, 'node_modules', '@ocf', 'cli');
    const own = (await filesUnder(installed)).filter((f) => !f.startsWith('node_modules/'));
    assert.ok(own.includes('bin/ocf.js'));
    assert.ok(own.includes('src/main.js'));
    assert.deepEqual(
      own.filter((f) => f.endsWith('.ts')),
      [],
    );
    // The workspace packages came with it, compiled (third-party packages ship what they ship).
    for (const name of ['@ocf/org-file', '@ocf/events', '@ocf/errors', '@ocf/terminal']) {
      const files = await filesUnder(path.join(installed, 'node_modules', name));
      assert.ok(files.includes('src/index.js'), `${name} installed`);
      assert.deepEqual(
        files.filter((f) => f.endsWith('.ts')),
        [],
        name,
      );
    }
  });

  it('answers --version and --help from there', async () => {
    const version = await ocf(['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), '0.1.0');
    const help = await ocf(['--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: ocf/);
    for (const command of ['hire', 'ls', 'status', 'sleep', 'wake', 'budget', 'org'])
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), command);
  });

  it('hires and lists against the real directory', async () => {
    assert.ok(service !== undefined);
    const as = { OCF_DIRECTORY_URL: service.url, OCF_TOKEN: token };
    const hired = await ocf(
      [
        'hire',
        '--id',
        'pkg-person',
        '--name',
        'Pkg Person',
        '--title',
        'VP',
        '--level',
        'vp',
        '--department',
        'Ops',
        '--manager',
        'ceo',
      ],
      as,
    );
    assert.equal(hired.code, 0, hired.stderr);
    const listed = await ocf(['--json', 'ls'], as);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { agentId: string }[]).map((a) => a.agentId),
      ['pkg-person'],
    );
    const none = await ocf(['ls']);
    assert.equal(none.code, 6, 'no directory configured there: exit 6');
  });
});
