/**
 * Issue 12 item 5: `AGENT_RUNNER=ecs pnpm fleet up` runs agents as ECS tasks on the emulator. The
 * real fleet command on the test run's stack makes the cluster and the rest itself; a hire reaches
 * `running` with an ECS task ARN, and a retirement stops that task (and, item 6, leaves the
 * agent's health `stopped`, not `running`). Ports: OCF_TEST_FLEET_PORT_BASE + 10 and the next four.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FLEET_STOP_PREFIX } from '../../shared/agent-tasks/src/fleet-stop.ts';
import {
  createAgentInfrastructure,
  tagsOf,
  type AgentInfrastructure,
} from '../../services/provisioning/test/support/ecs-fixture.ts';
import { uniqueEnvironment } from '../support/aws.ts';
import { startFleet, testFleetPortBase, type RunningFleet } from '../support/fleet.ts';

describe('fleet up with AGENT_RUNNER=ecs', { timeout: 5 * 60_000 }, () => {
  const environment = uniqueEnvironment('fleet-ecs');
  let fleet: RunningFleet | undefined;
  let infra: AgentInfrastructure;

  before(async () => {
    fleet = await startFleet({ environment, portBase: testFleetPortBase(10), env: { AGENT_RUNNER: 'ecs' } });
    // What the fleet made, looked at the way an operator would (the same calls find the same things).
    infra = await createAgentInfrastructure(environment);
  });

  after(async () => {
    if (fleet !== undefined) assert.equal(await fleet.stop(), 0, fleet.console.join('\n'));
    (infra as AgentInfrastructure | undefined)?.destroy();
  });

  it('runs a hire as an ECS task, and stops that task when the agent retires', async () => {
    assert.ok(fleet);
    await fleet.line(/agents run as ECS tasks on the emulator: cluster ocf-t-fleet-ecs-[0-9a-f]+-agents/);
    assert.equal(infra.cluster, `ocf-${environment}-agents`);

    const hired = await fleet.directory.hire({
      name: 'Ada Lovelace',
      title: 'Engineer',
      level: 'ic',
      department: 'Engineering',
      manager: 'ceo',
    });
    assert.equal(hired.status, 202, await hired.clone().text());
    const running = await fleet.directory.untilStatus('ada-lovelace', 'running', 120_000);
    const taskArn = running.steps.find((s) => s.phase === 'hire' && s.step === 'task')?.detail;
    assert.match(String(taskArn), /^arn:aws:ecs:[a-z0-9-]+:\d{12}:task\//, 'the task is an ECS task');

    const tasks = await infra.tasks('RUNNING');
    assert.deepEqual(
      tasks.map((t) => [t.taskArn, t.lastStatus, tagsOf(t)['ocf:agent-id']]),
      [[taskArn, 'RUNNING', 'ada-lovelace']],
      'exactly one task, the one the status names',
    );
    assert.equal(tasks[0]?.launchType, 'FARGATE');

    assert.equal((await fleet.directory.retire('ada-lovelace')).status, 202);
    const retired = await fleet.directory.untilStatus('ada-lovelace', 'retired', 120_000);
    assert.equal((retired['health'] as { state?: string } | undefined)?.state, 'stopped');
    assert.deepEqual(await infra.tasks('RUNNING'), []);
    const stopped = (await infra.tasks('STOPPED')).find((task) => task.taskArn === taskArn);
    assert.ok(stopped !== undefined, 'the task is stopped, not gone');
    assert.equal(stopped.lastStatus, 'STOPPED');
    assert.ok(stopped.stoppedReason?.startsWith(FLEET_STOP_PREFIX), stopped.stoppedReason);
  });
});
