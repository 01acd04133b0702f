/**
 * The real thing: moto and Synapse started by the launcher in a fresh state folder on free ports.
 * The venv is shared with the developer's stack (OCF_VENV_DIR, else .local-stack/venv), so only a
 * machine's very first run installs it.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { LocalStackError } from '../src/errors.ts';
import { defaultStateDir, sources, venvPython } from '../src/paths.ts';
import { readStackInfo, stackDown, stackStatus, stackUp, type StackOptions } from '../src/index.ts';

const execFileAsync = promisify(execFile);
const venvDir = process.env['OCF_VENV_DIR'] ?? path.join(defaultStateDir, 'venv');
// Cold runs install the venv first (about half a minute, longer on a slow network).
const timeout = 10 * 60_000;

describe('local stack', { timeout }, () => {
  let options: StackOptions & { stateDir: string };
  let pids: number[] = [];

  before(async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'ocf-stack-test-'));
    options = { stateDir, venvDir, motoPort: await freePort(), synapsePort: await freePort() };
  });

  after(async () => {
    await stackDown(options);
    await rm(options.stateDir, { recursive: true, force: true });
  });

  it('starts moto and Synapse and describes them in an owner-only stack.json', async () => {
    const result = await stackUp(options);
    assert.deepEqual(result.started.sort(), ['moto', 'synapse']);
    assert.equal(result.info.awsEndpoint, `http://127.0.0.1:${options.motoPort}`);
    assert.equal(result.info.homeserverUrl, `http://127.0.0.1:${options.synapsePort}`);
    assert.deepEqual(await readStackInfo({ stateDir: options.stateDir }), result.info);
    assert.equal((await stat(path.join(options.stateDir, 'stack.json'))).mode & 0o777, 0o600);
    pids = await recordedPids(options.stateDir);
    assert.equal(pids.length, 2);
  });

  it('serves the AWS APIs through the SDK, with EventBridge delivery and ECS tasks that stay RUNNING', async () => {
    const info = await readStackInfo({ stateDir: options.stateDir });
    const { stdout } = await execFileAsync(venvPython(venvDir), [sources.motoSmokeCheck, info.awsEndpoint]);
    assert.deepEqual(JSON.parse(stdout), {
      account: '123456789012',
      eventBridgeDeliversToSqs: true,
      ecsTask: { describedFiveTimes: Array(5).fill('RUNNING'), afterStopTask: 'STOPPED' },
    });
  });

  it('serves Matrix with public registration closed', async () => {
    const { homeserverUrl } = await readStackInfo({ stateDir: options.stateDir });
    const health = await fetch(`${homeserverUrl}/health`);
    assert.equal(await health.text(), 'OK');

    const signUp = await fetch(`${homeserverUrl}/_matrix/client/v3/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'intruder',
        password: 'pw-intruder-1',
        auth: { type: 'm.login.dummy' },
      }),
    });
    assert.equal(signUp.status, 403);
    assert.equal(((await signUp.json()) as { errcode: string }).errcode, 'M_FORBIDDEN');
  });

  it('lets whoever holds the shared secret create users', async () => {
    const info = await readStackInfo({ stateDir: options.stateDir });
    const endpoint = `${info.homeserverUrl}/_synapse/admin/v1/register`;
    const { nonce } = (await (await fetch(endpoint)).json()) as { nonce: string };
    const mac = createHmac('sha1', info.registrationSharedSecret)
      .update([nonce, 'operator', 'pw-operator-1', 'notadmin'].join('\0'))
      .digest('hex');
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nonce, username: 'operator', password: 'pw-operator-1', admin: false, mac }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(((await response.json()) as { user_id: string }).user_id, '@operator:localhost');
  });

  it('leaves a running stack alone on a second up', async () => {
    const again = await stackUp(options);
    assert.deepEqual(again.started, []);
    assert.deepEqual(again.reused.sort(), ['moto', 'synapse']);
    assert.deepEqual(await recordedPids(options.stateDir), pids);
    assert.deepEqual(
      (await stackStatus(options)).map((s) => s.state),
      ['running', 'running'],
    );
  });

  it('stops everything on down, leaving no process of either group behind', async () => {
    const { stopped } = await stackDown(options);
    assert.deepEqual(stopped.sort(), ['moto', 'synapse']);
    for (const pgid of pids) assert.deepEqual(liveProcessesInGroup(pgid), [], `group ${pgid}`);
    assert.deepEqual(
      (await stackStatus(options)).map((s) => s.state),
      ['stopped', 'stopped'],
    );
    await assert.rejects(readStackInfo({ stateDir: options.stateDir }), { code: 'NOT_RUNNING' });
  });
});

describe('local stack, when something is in the way', { timeout }, () => {
  let options: StackOptions & { stateDir: string };

  before(async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'ocf-stack-test-'));
    options = { stateDir, venvDir, motoPort: await freePort(), synapsePort: await freePort() };
  });

  after(async () => {
    await stackDown(options);
    await rm(options.stateDir, { recursive: true, force: true });
  });

  it('refuses a port another program holds, and stops what it had started meanwhile', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(options.synapsePort, '127.0.0.1', resolve));
    try {
      await assert.rejects(stackUp(options), (error: unknown) => {
        assert.ok(error instanceof LocalStackError);
        assert.equal(error.code, 'PORT_TAKEN');
        assert.match(error.message, new RegExp(`port ${options.synapsePort}.*OCF_SYNAPSE_PORT`, 's'));
        return true;
      });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    assert.deepEqual(
      (await stackStatus(options)).map((s) => s.state),
      ['stopped', 'stopped'],
    );
    assert.deepEqual(await recordedPids(options.stateDir), []);
  });

  it('replaces a stale pid file whose process is gone', async () => {
    const gone = spawnSync('true').pid;
    const runDir = path.join(options.stateDir, 'run');
    await mkdir(runDir, { recursive: true });
    const stale = {
      pid: gone,
      port: options.motoPort,
      identity: 'moto_launcher.py',
      startedAt: '2020-01-01T00:00:00Z',
    };
    await writeFile(path.join(runDir, 'moto.pid'), JSON.stringify(stale));

    const result = await stackUp(options);
    assert.deepEqual(result.started.sort(), ['moto', 'synapse']);
    assert.notEqual((await recordedPids(options.stateDir))[0], gone);
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function recordedPids(stateDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of ['moto', 'synapse']) {
    try {
      pids.push(
        (JSON.parse(await readFile(path.join(stateDir, 'run', `${name}.pid`), 'utf8')) as { pid: number })
          .pid,
      );
    } catch {
      // no pid file: not running
    }
  }
  return pids;
}

/** Processes of the group that still run (zombies have exited; they only wait to be collected). */
function liveProcessesInGroup(pgid: number): string[] {
  const { stdout } = spawnSync('ps', ['-A', '-o', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, state]) => Number(group) === pgid && !state?.startsWith('Z'))
    .map((fields) => fields.join(' '));
}
