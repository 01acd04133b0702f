/**
 * Issue 12 item 1: under `fleet up`, a service killed with SIGKILL is restarted (with a line on
 * the console saying so) and the fleet keeps working; nothing else is stopped. Runs the real
 * fleet command against the test run's stack. Ports: OCF_TEST_FLEET_PORT_BASE (default 8580) and
 * one more per service; fleet name: OCF_TEST_FLEET_ENV (default a fresh one).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { uniqueEnvironment, waitFor } from '../support/aws.ts';
import { FLEET_SERVICES, startFleet, testFleetPortBase, type RunningFleet } from '../support/fleet.ts';

const environment = process.env['OCF_TEST_FLEET_ENV'] ?? uniqueEnvironment('fleet');

describe('fleet supervision', { timeout: 6 * 60_000 }, () => {
  let fleet: RunningFleet | undefined;

  after(async () => {
    await fleet?.stop();
  });

  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('restarts a SIGKILLed service, leaves the rest running, and keeps working', async () => {
    // The stand-in: this is about the services, not what the agents are.
    fleet = await startFleet({ environment, portBase: testFleetPortBase(0), args: ['--agents', 'stand-in'] });

    const before = await fleet.services();
    const victim = before.provisioning;
    const from = fleet.console.length;
    process.kill(victim.pid, 'SIGKILL');

    await fleet.line(/provisioning died at \d\d:\d\d:\d\d \(signal SIGKILL\); restarting it in/, { from });
    await fleet.line(/provisioning is back \(pid \d+/, { from });

    const afterKill = await fleet.services();
    assert.notEqual(afterKill.provisioning.pid, victim.pid);
    for (const service of FLEET_SERVICES) {
      const record = afterKill[service];
      assert.ok(alive(record.pid), `${service} runs`);
      if (service !== 'provisioning')
        assert.equal(record.pid, before[service].pid, `${service} was left alone`);
      const ready = await fetch(`http://127.0.0.1:${record.port}/readyz`);
      assert.equal(ready.status, 200, `${service} is ready`);
    }
    assert.equal(fleet.child.exitCode, null, 'the fleet command keeps running');

    // Still working: a hire made after the restart reaches provisioning's launch.
    const hired = await fleet.directory.hire({
      name: 'Ada Lovelace',
      title: 'Engineer',
      level: 'ic',
      department: 'Engineering',
      manager: 'ceo',
    });
    assert.ok(hired.ok, `hire: ${hired.status} ${await hired.clone().text()}`);
    const { agentId } = (await hired.json()) as { agentId: string };
    const directory = fleet.directory;
    await waitFor(
      'the hire to be launched by the restarted provisioning',
      async () => {
        const agent = await directory.agent(agentId);
        return agent?.status === 'launching' || agent?.status === 'running' ? agent.status : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
  });
});
