/**
 * Issue 12 item 1: under `fleet up`, a service killed with SIGKILL is restarted (with a line on
 * the console saying so) and the fleet keeps working; nothing else is stopped. Runs the real
 * fleet command against the test run's stack. Ports: OCF_TEST_FLEET_PORT_BASE (default 8580) and
 * the next four; fleet name: OCF_TEST_FLEET_ENV (default a fresh one).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { uniqueEnvironment, waitFor } from '../support/aws.ts';

const root = path.resolve(import.meta.dirname, '../..');
const portBase = Number(process.env['OCF_TEST_FLEET_PORT_BASE'] ?? '8580');
const environment = process.env['OCF_TEST_FLEET_ENV'] ?? uniqueEnvironment('fleet');
const SERVICES = ['directory', 'credentials', 'bridge', 'provisioning', 'health'] as const;

describe('fleet supervision', { timeout: 6 * 60_000 }, () => {
  let fleet: ChildProcess | undefined;
  const console: string[] = [];

  after(async () => {
    if (fleet?.exitCode === null) {
      const exited = once(fleet, 'exit');
      fleet.kill('SIGINT');
      await exited;
    }
  });

  async function fleetState(): Promise<Record<string, { pid: number; port: number }>> {
    const stateDir = process.env['OCF_STACK_DIR'];
    assert.ok(stateDir !== undefined, 'OCF_STACK_DIR names the stack the fleet runs on');
    const file = path.join(stateDir, 'fleet', environment, 'fleet.json');
    return (
      JSON.parse(await readFile(file, 'utf8')) as { services: Record<string, { pid: number; port: number }> }
    ).services;
  }

  const line = (pattern: RegExp) => () => console.find((l) => pattern.test(l));
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('restarts a SIGKILLed service, leaves the rest running, and keeps working', async () => {
    fleet = spawn(
      process.execPath,
      ['local-stack/src/fleet.ts', 'up', '--env', environment, '--port-base', String(portBase)],
      { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [fleet.stdout!, fleet.stderr!]) {
      createInterface({ input: stream }).on('line', (l) => console.push(l));
    }
    await waitFor('the fleet to be up', line(/is up\. API token/), { timeoutMs: 180_000, intervalMs: 500 });
    const token = console
      .find((l) => l.trim().startsWith('TOKEN='))
      ?.trim()
      .slice('TOKEN='.length);
    assert.ok(token);

    const before = await fleetState();
    const victim = before['provisioning'];
    assert.ok(victim !== undefined);
    process.kill(victim.pid, 'SIGKILL');

    await waitFor(
      'the death to be reported',
      line(/provisioning died at \d\d:\d\d:\d\d \(signal SIGKILL\); restarting it in/),
    );
    await waitFor('provisioning to be back', line(/provisioning is back \(pid \d+/), { timeoutMs: 60_000 });

    const afterKill = await fleetState();
    assert.notEqual(afterKill['provisioning']?.pid, victim.pid);
    for (const service of SERVICES) {
      const record = afterKill[service];
      assert.ok(record !== undefined && alive(record.pid), `${service} runs`);
      if (service !== 'provisioning')
        assert.equal(record.pid, before[service]?.pid, `${service} was left alone`);
      const ready = await fetch(`http://127.0.0.1:${record.port}/readyz`);
      assert.equal(ready.status, 200, `${service} is ready`);
    }
    assert.equal(fleet.exitCode, null, 'the fleet command keeps running');

    // Still working: a hire made after the restart reaches provisioning's launch.
    const directory = `http://127.0.0.1:${portBase}`;
    const hired = await fetch(`${directory}/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        name: 'Ada Lovelace',
        title: 'Engineer',
        level: 'ic',
        department: 'Engineering',
        manager: 'ceo',
      }),
    });
    assert.ok(hired.ok, `hire: ${hired.status} ${await hired.clone().text()}`);
    const { agentId } = (await hired.json()) as { agentId: string };
    await waitFor(
      'the hire to be launched by the restarted provisioning',
      async () => {
        const response = await fetch(`${directory}/v1/agents/${agentId}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.ok(response.ok, `read: ${response.status}`);
        const agent = (await response.json()) as { status?: string };
        return agent.status === 'launching' || agent.status === 'running' ? agent.status : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
  });
});
