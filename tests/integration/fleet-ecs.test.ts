/**
 * Issue 12 item 5: `AGENT_RUNNER=ecs pnpm fleet up` runs agents as ECS tasks on the emulator. The
 * real fleet command on the test run's stack makes the cluster and the rest itself; a hire reaches
 * `running` with an ECS task ARN, and a retirement stops that task (and, item 6, leaves the
 * agent's health `stopped`, not `running`). Issue 13 item 7: sleep and wake with the ECS runner, as
 * with local processes: an on-demand agent idle past its timeout has its task stopped on purpose
 * (not restarted, health counts no failure, status `asleep`), and a wake starts a new task
 * (AgentAwake). Ports: OCF_TEST_FLEET_PORT_BASE + 10 and the next five.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { FLEET_STOP_PREFIX } from '../../shared/agent-tasks/src/fleet-stop.ts';
import {
  publishEcsTaskStateChange,
  routeEcsTaskEvents,
} from '../../services/health/test/support/ecs-events-route.ts';
import {
  createAgentInfrastructure,
  tagsOf,
  type AgentInfrastructure,
} from '../../services/provisioning/test/support/ecs-fixture.ts';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { startFleet, testFleetPortBase, type RunningFleet } from '../support/fleet.ts';
import { listenOnBus, type BusEvent } from '../support/listener.ts';
import { fleetQuiet, messagesOn } from '../support/signals.ts';

describe('fleet up with AGENT_RUNNER=ecs', { timeout: 5 * 60_000 }, () => {
  const environment = uniqueEnvironment('fleet-ecs');
  let fleet: RunningFleet | undefined;
  let infra: AgentInfrastructure;

  const clients = awsClients();
  let ecsEventsQueue: string;
  let bus: Awaited<ReturnType<typeof listenOnBus>>;

  before(async () => {
    // As on AWS, health hears ECS's task state changes (moto emits none: the test publishes them
    // where ECS would), and polls as well. Short sleep checks so the idle timeout is noticed soon.
    ecsEventsQueue = await routeEcsTaskEvents(environment, `ocf-${environment}-agents`);
    const serviceEnv = path.join(tmpdir(), `ocf-${environment}-service-env.json`);
    await writeFile(
      serviceEnv,
      JSON.stringify({
        bridge: { BRIDGE_SLEEP_CHECK_MS: '1000', BRIDGE_ACTIVITY_FLUSH_MS: '500' },
        health: { HEALTH_ECS_EVENTS_QUEUE_URL: ecsEventsQueue, HEALTH_POLL_MS: '1000' },
      }),
    );
    fleet = await startFleet({
      environment,
      portBase: testFleetPortBase(10),
      env: { AGENT_RUNNER: 'ecs' },
      args: ['--service-env', serviceEnv],
    });
    // What the fleet made, looked at the way an operator would (the same calls find the same things).
    infra = await createAgentInfrastructure(environment);
    bus = await listenOnBus(clients, fleet.routing.busName, {
      'detail-type': [
        'AgentLaunching',
        'AgentRunning',
        'AgentStopped',
        'AgentRestartRequested',
        'AgentCrashLooping',
        'AgentSleepRequested',
        'AgentAsleep',
        'AgentWakeRequested',
        'AgentAwake',
      ],
    });
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
  it('puts an idle on-demand agent to sleep (task stopped on purpose, no restart) and wakes it with a new task', async () => {
    assert.ok(fleet);
    const agentId = 'ida-sleeper';
    const hired = await fleet.directory.hire({
      agentId,
      name: 'Ida Sleeper',
      title: 'Engineer',
      level: 'ic',
      department: 'Engineering',
      manager: 'ceo',
      wakePolicy: 'on-demand',
      idleTimeoutSeconds: 3,
    });
    assert.equal(hired.status, 202, await hired.clone().text());
    // Everything heard about the agent so far, of one type.
    const heard = async (type: string): Promise<BusEvent[]> =>
      (await bus.drain()).filter((e) => e.detail.data['agentId'] === agentId && e['detail-type'] === type);
    const tasksOf = async (status: 'RUNNING' | 'STOPPED') =>
      (await infra.tasks(status)).filter((t) => tagsOf(t)['ocf:agent-id'] === agentId);

    // It starts once after its hire (ADR 0019), runs, and sleeps once idle past its 3 s: the
    // bridge's decision, carried out by provisioning's ECS runner.
    await waitFor('its first task running', async () =>
      (await heard('AgentRunning')).length > 0 ? true : undefined,
    );
    const [first] = await tasksOf('RUNNING');
    assert.ok(first?.taskArn !== undefined, 'its first task runs');
    // The moment its task stops, what ECS would put on the default bus for that stop: health
    // looks at the task at once, as on AWS. Whether that is before or after it hears AgentAsleep
    // is a race here (after, in every run seen); health-ecs.test.ts pins the order "before".
    const stopped = await waitFor(
      'its task stopped',
      async () => (await tasksOf('STOPPED')).find((t) => t.taskArn === first.taskArn),
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await publishEcsTaskStateChange(infra.cluster, first.taskArn, 'STOPPED', stopped.stoppedReason);
    assert.equal(stopped.stoppedReason, `${FLEET_STOP_PREFIX}sleep (idle)`);
    await fleet.directory.untilStatus(agentId, 'asleep', 60_000);
    assert.deepEqual(await tasksOf('RUNNING'), [], 'no task runs while it sleeps');
    await waitFor('health to take the ECS event', async () =>
      (await messagesOn(clients.sqs, ecsEventsQueue)) === 0 ? true : undefined,
    );
    // Health has done all it will about it once its record says asleep with nothing left to
    // publish, and its queue is empty.
    await waitFor("health's record: asleep, nothing to publish", async () => {
      const { Item } = await clients.dynamodb.send(
        new GetItemCommand({
          TableName: fleet?.routing.tables.health.name,
          Key: { agentId: { S: agentId } },
          ConsistentRead: true,
        }),
      );
      return Item?.['phase']?.S === 'asleep' && (Item['outbox']?.L?.length ?? 0) === 0 ? true : undefined;
    });
    await fleetQuiet(clients.sqs, fleet.routing, ['health', 'provisioning', 'bridge']);
    assert.deepEqual(await heard('AgentRestartRequested'), [], 'no restart of a sleeping agent');
    assert.deepEqual(await heard('AgentCrashLooping'), []);
    assert.deepEqual(
      (await heard('AgentStopped')).filter((e) => e.detail.data['expected'] === false),
      [],
      'the stop is no crash',
    );
    const [asleep] = await heard('AgentAsleep');
    assert.deepEqual(
      { taskArn: asleep?.detail.data['taskArn'], reason: asleep?.detail.data['reason'] },
      { taskArn: first.taskArn, reason: 'idle' },
    );
    const view = await fleet.directory.agent(agentId);
    assert.equal(view?.status, 'asleep');
    assert.deepEqual(await tasksOf('RUNNING'), [], 'still no task: nobody restarted it');

    // An operator's wake (the same AgentWakeRequested as the bridge's for a mention): a new task.
    const woken = await fleet.directory.write(`/v1/agents/${agentId}/wake`, 'POST', {});
    assert.equal(woken.status, 202, await woken.clone().text());
    await fleet.directory.untilStatus(agentId, 'running', 60_000);
    const running = await tasksOf('RUNNING');
    assert.equal(running.length, 1, 'one task after the wake');
    const [second] = running;
    assert.notEqual(second?.taskArn, first.taskArn, 'a new task');
    const [awake] = await waitFor('AgentAwake', async () => {
      const events = await heard('AgentAwake');
      return events.length > 0 ? events : undefined;
    });
    assert.equal(awake?.detail.data['taskArn'], second?.taskArn);
    await waitFor("health's AgentRunning for the new task", async () =>
      (await heard('AgentRunning')).some((e) => e.detail.data['taskArn'] === second?.taskArn)
        ? true
        : undefined,
    );
    const wakes = (await fleet.directory.agent(agentId))?.['wakes'] as { count?: number } | undefined;
    assert.equal(wakes?.count, 1, 'one wake counted');
  });
});
