import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createEvent } from '@ocf/events';
import { applyRouting, DIRECTORY_SOURCE, fleetRouting } from '@ocf/routing';
import { createEventBridgePublisher } from '@ocf/runtime';
import { readMetric } from '../../services/health/test/support/cloudwatch.ts';
import {
  publishEcsTaskStateChange,
  routeEcsTaskEvents,
} from '../../services/health/test/support/ecs-events-route.ts';
import { createEcsTaskRunner } from '../../services/provisioning/src/adapters/ecs-task-runner.ts';
import { createEfsAgentStorage } from '../../services/provisioning/src/adapters/efs-agent-storage.ts';
import {
  createAgentInfrastructure,
  type AgentInfrastructure,
} from '../../services/provisioning/test/support/ecs-fixture.ts';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { listenOnBus, type BusEvent } from '../support/listener.ts';
import { startServiceProcess, type RunningServiceProcess } from '../support/services.ts';
import { fleetQuiet } from '../support/signals.ts';

// Health as a real process, watching real (emulated) ECS tasks. Its poll is slowed to a minute,
// so what it notices within seconds it noticed through the ECS event, as on AWS.
describe('health service on moto', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('health'));
  const environment = routing.environment;
  const provisioningSource = createEventBridgePublisher({
    client: clients.eventBridge,
    busName: routing.busName,
    source: 'ocf.provisioning',
  });
  const directory = createEventBridgePublisher({
    client: clients.eventBridge,
    busName: routing.busName,
    source: DIRECTORY_SOURCE,
  });
  let infra: AgentInfrastructure;
  let runner: ReturnType<typeof createEcsTaskRunner>;
  let health: RunningServiceProcess;
  let bus: Awaited<ReturnType<typeof listenOnBus>>;

  before(async () => {
    await applyRouting(routing, clients);
    infra = await createAgentInfrastructure(environment);
    runner = createEcsTaskRunner({
      ecs: infra.ecs,
      storage: createEfsAgentStorage({ efs: infra.efs, environment, fileSystemId: infra.fileSystemId }),
      environment,
      cluster: infra.cluster,
      baseTaskDefinition: infra.baseTaskDefinition,
      mountPath: '/agent-data',
      subnets: infra.subnets,
      securityGroups: infra.securityGroups,
    });
    const queueUrl = await routeEcsTaskEvents(environment, infra.cluster);
    bus = await listenOnBus(clients, routing.busName, { source: ['ocf.health'] });
    health = await startServiceProcess('health', {
      OCF_ENV: environment,
      AGENT_RUNNER: 'ecs',
      AGENT_CLUSTER: infra.cluster,
      HEALTH_ECS_EVENTS_QUEUE_URL: queueUrl,
      HEALTH_POLL_MS: '60000',
      HEALTH_METRICS_MS: '1000',
      HEALTH_MAX_FAILURES: '2',
      HEALTH_BACKOFF_BASE_MS: '500',
    });
  });

  after(async () => {
    assert.equal(await health.stop(), 0, health.output.join('\n'));
    infra.destroy();
  });

  /** Bob's record in health's table, as health itself reads it: its phase and undelivered events. */
  const healthRecord = async (agentId: string) => {
    const { Item } = await clients.dynamodb.send(
      new GetItemCommand({
        TableName: routing.tables.health.name,
        Key: { agentId: { S: agentId } },
        ConsistentRead: true,
      }),
    );
    return Item === undefined
      ? undefined
      : { phase: Item['phase']?.S, outbox: Item['outbox']?.L?.length ?? 0 };
  };
  const heard = async (type: string): Promise<BusEvent[]> =>
    (await bus.poll()).filter((e) => e['detail-type'] === type);
  const until = (type: string, count = 1) =>
    waitFor(`${count} ${type} from health`, async () => {
      const events = await heard(type);
      return events.length >= count ? events : undefined;
    });

  const ecsTaskStateChange = (taskArn: string, lastStatus: string) =>
    publishEcsTaskStateChange(infra.cluster, taskArn, lastStatus);

  async function launch(n: number): Promise<string> {
    const { taskArn } = await runner.launch({
      agentId: 'ada',
      clientToken: `ocf-health-test-${n}`,
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/t/agents/ada-a1B2c3',
    });
    await provisioningSource.publish(createEvent('AgentLaunching', { agentId: 'ada', taskArn }));
    return taskArn;
  }

  it('reports a launched task running', async () => {
    await directory.publish(
      createEvent('AgentHired', {
        agentId: 'ada',
        name: 'Ada',
        title: 'T',
        level: 'ic',
        department: 'D',
        managerId: 'ceo',
      }),
    );
    const taskArn = await launch(1);
    const [running] = await until('AgentRunning');
    assert.equal(running?.detail.data['taskArn'], taskArn);
  });

  it('notices a task stopped behind the fleet’s back through the ECS event, and asks for a restart', async () => {
    const [running] = await heard('AgentRunning');
    const taskArn = String(running?.detail.data['taskArn']);
    await infra.stopBehindTheFleetsBack(taskArn);
    const started = Date.now();
    await ecsTaskStateChange(taskArn, 'STOPPED');
    const [restart] = await until('AgentRestartRequested');
    assert.ok(Date.now() - started < 20_000, 'well before the next poll');
    assert.equal(restart?.detail.data['attempt'], 1);
    const [stopped] = await heard('AgentStopped');
    assert.deepEqual(
      { taskArn: stopped?.detail.data['taskArn'], expected: stopped?.detail.data['expected'] },
      { taskArn, expected: false },
    );
  });

  it('declares a crash loop when the replacement dies too, and restarts no more', async () => {
    const taskArn = await launch(2);
    await until('AgentRunning', 2);
    await infra.stopBehindTheFleetsBack(taskArn);
    await ecsTaskStateChange(taskArn, 'STOPPED');
    const [looping] = await until('AgentCrashLooping');
    assert.equal(looping?.detail.data['failures'], 2);
    assert.equal((await heard('AgentRestartRequested')).length, 1);
  });

  it('publishes the fleet metrics to CloudWatch, where they can be read back', async () => {
    const dimensions = { Environment: environment };
    await waitFor(
      'the metrics in CloudWatch',
      async () => {
        const [hires, restarts, loops, looping] = await Promise.all([
          readMetric('Hires', dimensions),
          readMetric('Restarts', dimensions),
          readMetric('CrashLoops', dimensions),
          readMetric('AgentsByState', { ...dimensions, State: 'crash-looping' }),
        ]);
        return hires.sum === 1 && restarts.sum === 1 && loops.sum === 1 && looping.maximum === 1
          ? true
          : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 500 },
    );
    const running = await readMetric('AgentsByState', { ...dimensions, State: 'running' });
    assert.ok(running.samples > 0, 'every state is published, zeros included');
  });

  it("does not take provisioning's own stop of a task (a replacement) for a crash", async () => {
    await directory.publish(
      createEvent('AgentHired', {
        agentId: 'bob',
        name: 'Bob',
        title: 'T',
        level: 'ic',
        department: 'D',
        managerId: 'ceo',
      }),
    );
    const { taskArn } = await runner.launch({
      agentId: 'bob',
      clientToken: 'ocf-health-test-bob',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/t/agents/bob-a1B2c3',
    });
    await provisioningSource.publish(createEvent('AgentLaunching', { agentId: 'bob', taskArn }));
    await waitFor('bob running', async () =>
      (await heard('AgentRunning')).some((e) => e.detail.data['agentId'] === 'bob') ? true : undefined,
    );
    await runner.stop({ taskArn, agentId: 'bob', reason: 'restart requested: credentials rotated' });
    await ecsTaskStateChange(taskArn, 'STOPPED');
    // Health has looked at the stopped task once bob's record is no longer running, and has
    // published what it decided once the record's outbox is empty.
    const decided = await waitFor("health's decision on bob's stopped task", async () => {
      const record = await healthRecord('bob');
      return record !== undefined && record.phase !== 'running' && record.outbox === 0 ? record : undefined;
    });
    await fleetQuiet(clients.sqs, routing, ['health']);
    const aboutBob = (await bus.drain())
      .filter((e) => e.detail.data['agentId'] === 'bob')
      .map((e) => e['detail-type']);
    assert.deepEqual(aboutBob, ['AgentRunning'], `phase ${decided.phase}`);
  });

  it('takes a stop for sleep for no crash, marks the agent asleep, and watches the task that wakes it', async () => {
    await directory.publish(
      createEvent('AgentHired', {
        agentId: 'cleo',
        name: 'Cleo',
        title: 'T',
        level: 'ic',
        department: 'D',
        managerId: 'ceo',
        wakePolicy: 'on-demand',
      }),
    );
    const launchCleo = async (n: number) => {
      const { taskArn } = await runner.launch({
        agentId: 'cleo',
        clientToken: `ocf-health-test-cleo-${n}`,
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/t/agents/cleo-a1B2c3',
      });
      await provisioningSource.publish(createEvent('AgentLaunching', { agentId: 'cleo', taskArn }));
      return taskArn;
    };
    const aboutCleo = async () => (await bus.drain()).filter((e) => e.detail.data['agentId'] === 'cleo');
    const first = await launchCleo(1);
    await waitFor('cleo running', async () =>
      (await heard('AgentRunning')).some((e) => e.detail.data['taskArn'] === first) ? true : undefined,
    );

    // Provisioning's stop for sleep, with the reason it gives (ADR 0019), and ECS's event for it,
    // before health has heard AgentAsleep: the order a fast ECS event gives on AWS.
    await runner.stop({ taskArn: first, agentId: 'cleo', reason: 'sleep (idle)' });
    await ecsTaskStateChange(first, 'STOPPED');
    const looked = await waitFor("health's decision on cleo's stopped task", async () => {
      const record = await healthRecord('cleo');
      return record !== undefined && record.phase !== 'running' && record.outbox === 0 ? record : undefined;
    });
    assert.equal(looked.phase, 'idle', 'waiting for what provisioning does next, no failure counted');
    await provisioningSource.publish(
      createEvent('AgentAsleep', { agentId: 'cleo', taskArn: first, reason: 'idle' }),
    );
    await waitFor('cleo asleep in health', async () =>
      (await healthRecord('cleo'))?.phase === 'asleep' ? true : undefined,
    );
    await fleetQuiet(clients.sqs, routing, ['health']);
    assert.deepEqual(
      (await aboutCleo()).map((e) => e['detail-type']),
      ['AgentRunning'],
      'no AgentStopped, no restart: a sleep is no crash',
    );

    // The wake: a new task, AgentAwake, and health reports it running.
    const second = await launchCleo(2);
    await provisioningSource.publish(
      createEvent('AgentAwake', { agentId: 'cleo', taskArn: second, wakeSeenAt: new Date().toISOString() }),
    );
    const [running] = await waitFor('the woken task running', async () => {
      const events = (await heard('AgentRunning')).filter((e) => e.detail.data['taskArn'] === second);
      return events.length > 0 ? events : undefined;
    });
    assert.equal(running?.detail.data['agentId'], 'cleo');
  });
});
