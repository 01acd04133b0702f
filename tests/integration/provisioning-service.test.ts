import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createEvent } from '@ocf/events';
import { applyRouting, DIRECTORY_SOURCE, fleetRouting } from '@ocf/routing';
import { createEventBridgePublisher, DEAD_LETTER_ATTRIBUTES } from '@ocf/runtime';
import { AGENT_SECRET_TAG_KEYS, agentSecretName } from '@ocf/secrets';
import { createEcsTaskRunner } from '../../services/provisioning/src/adapters/ecs-task-runner.ts';
import { createEfsAgentStorage } from '../../services/provisioning/src/adapters/efs-agent-storage.ts';
import {
  createAgentInfrastructure,
  type AgentInfrastructure,
} from '../../services/provisioning/test/support/ecs-fixture.ts';
import { createAgentSecret } from '../support/agent-secrets.ts';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { deadLetters } from '../support/dead-letters.ts';
import { listenOnBus } from '../support/listener.ts';
import { startServiceProcess, type RunningServiceProcess } from '../support/services.ts';
import { fleetQuiet, reconcilePasses } from '../support/signals.ts';

// The provisioning service as a real process on moto's ECS and EFS, fed the events the cascade
// would send (as the directory, credentials and bridge), observed through ECS and the bus.
describe('provisioning service on moto', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('prov'));
  const as = (source: string) =>
    createEventBridgePublisher({ client: clients.eventBridge, busName: routing.busName, source });
  const directory = as(DIRECTORY_SOURCE);
  const credentials = as('ocf.credentials');
  const bridge = as('ocf.bridge');
  let infra: AgentInfrastructure;
  let env: Record<string, string>;
  let provisioning: RunningServiceProcess | undefined;
  let bus: Awaited<ReturnType<typeof listenOnBus>>;
  const output: string[] = [];

  before(async () => {
    await applyRouting(routing, clients);
    infra = await createAgentInfrastructure(routing.environment);
    bus = await listenOnBus(clients, routing.busName, {
      'detail-type': ['AgentLaunching', 'AgentStopped', 'MemoryArchived', 'CascadeStepFailed'],
    });
    env = {
      ...infra.env,
      OCF_ENV: routing.environment,
      PROVISIONING_RESYNC_MS: '2000',
      // A small launch quota, so a burst of 20 takes a few seconds: long enough to kill it midway.
      PROVISIONING_LAUNCH_BURST: '4',
      PROVISIONING_LAUNCH_RATE: '5',
    };
    provisioning = await startServiceProcess('provisioning', env);
  });

  after(async () => {
    if (provisioning !== undefined) output.push(...provisioning.output);
    assert.equal(await provisioning?.stop(), 0, output.join('\n'));
    infra.destroy();
  });

  const secretArn = (agentId: string) =>
    `arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/${routing.environment}/agents/${agentId}-a1B2c3`;

  /** Each agent's secret, made on the emulator as the credentials service makes it: provisioning checks it. */
  const secrets = new Map<string, string>();
  async function issue(agentIds: string[]): Promise<void> {
    for (const agentId of agentIds) {
      if (!secrets.has(agentId)) secrets.set(agentId, await createAgentSecret(routing.environment, agentId));
    }
  }

  async function hire(agentIds: string[]): Promise<void> {
    await issue(agentIds);
    await directory.publish(
      ...agentIds.map((agentId) =>
        createEvent('AgentHired', {
          agentId,
          name: agentId,
          title: 'Engineer',
          level: 'ic',
          department: 'Engineering',
          managerId: 'ceo',
        }),
      ),
    );
    await credentials.publish(
      ...agentIds.map((agentId) =>
        createEvent('CredentialsIssued', { agentId, secretArn: secrets.get(agentId)!, restored: false }),
      ),
    );
    await bridge.publish(
      ...agentIds.map((agentId) =>
        createEvent('ChatAccountReady', { agentId, matrixUserId: `@agent-${agentId}:fleet.test` }),
      ),
    );
  }

  const heard = async (type: string, agentId?: string) =>
    (await bus.poll()).filter(
      (e) => e['detail-type'] === type && (agentId === undefined || e.detail.data['agentId'] === agentId),
    );

  it('launches one task per hired agent once its chat account is ready, and says so on the bus', async () => {
    await hire(['solo']);
    const [launching] = await waitFor('AgentLaunching for solo', async () => {
      const events = await heard('AgentLaunching', 'solo');
      return events.length > 0 ? events : undefined;
    });
    const tasks = (await infra.tasksByAgent()).get('solo') ?? [];
    assert.equal(tasks.length, 1);
    assert.equal(launching?.detail.data['taskArn'], tasks[0]?.taskArn);
    assert.equal(launching?.source, 'ocf.provisioning');
  });

  it('survives being killed in the middle of a burst of 20 hires: 20 tasks, no duplicates, nothing lost', async () => {
    const agents = Array.from({ length: 20 }, (_, i) => `burst-${String(i).padStart(2, '0')}`);
    await hire(agents);
    // Wait until the burst is under way, then kill provisioning without a chance to clean up.
    await waitFor('the first launches of the burst', async () => {
      const running = await infra.tasksByAgent();
      const started = agents.filter((a) => running.has(a)).length;
      return started >= 3 ? started : undefined;
    });
    const killed = provisioning!;
    output.push(...killed.output);
    killed.child.kill('SIGKILL');
    await new Promise((resolve) => killed.child.once('exit', resolve));
    const running = await infra.tasksByAgent();
    const launchedBeforeTheKill = agents.filter((a) => running.has(a)).length;
    assert.ok(launchedBeforeTheKill < 20, `killed mid-burst, after ${launchedBeforeTheKill} of 20 launches`);

    provisioning = await startServiceProcess('provisioning', env);
    const byAgent = await waitFor(
      'a task for each of the 20 agents',
      async () => {
        const running = await infra.tasksByAgent();
        return agents.every((a) => running.has(a)) ? running : undefined;
      },
      // A message the killed process had received comes back only when its visibility (60 s)
      // runs out: an agent whose event it held launches after that.
      { timeoutMs: 90_000 },
    );
    // Every delivery handled, the ones the killed process held included (they come back when
    // their visibility runs out), then two whole reconcile passes: nothing may change any more.
    await fleetQuiet(clients.sqs, routing, ['provisioning']);
    await reconcilePasses(provisioning.url, 2);
    const settled = await infra.tasksByAgent();
    for (const agentId of agents) {
      assert.equal(settled.get(agentId)?.length, 1, `${agentId} has exactly one task`);
      assert.equal(settled.get(agentId)?.[0]?.taskArn, byAgent.get(agentId)?.[0]?.taskArn);
    }
    const stopped = (await infra.tasks('STOPPED')).filter((t) =>
      agents.includes(t.tags?.find((tag) => tag.key === 'ocf:agent-id')?.value ?? ''),
    );
    assert.deepEqual(
      stopped.map((t) => t.taskArn),
      [],
      'no second task was ever started (and stopped)',
    );
    await waitFor('an AgentLaunching for each of them', async () => {
      const reported = new Set((await heard('AgentLaunching')).map((e) => e.detail.data['agentId']));
      return agents.every((a) => reported.has(a)) ? true : undefined;
    });
  });

  it('stops a task of an agent nobody hired', async () => {
    const runner = createEcsTaskRunner({
      ecs: infra.ecs,
      storage: createEfsAgentStorage({
        efs: infra.efs,
        environment: routing.environment,
        fileSystemId: infra.fileSystemId,
      }),
      environment: routing.environment,
      cluster: infra.cluster,
      baseTaskDefinition: infra.baseTaskDefinition,
      mountPath: '/agent-data',
      subnets: infra.subnets,
      securityGroups: infra.securityGroups,
    });
    const { taskArn } = await runner.launch({
      agentId: 'nobody-hired-me',
      clientToken: 'ocf-stranger',
      secretArn: secretArn('x'),
    });
    await waitFor(
      'the stranger to be stopped by a resync',
      async () => ((await infra.tasks()).some((t) => t.taskArn === taskArn) ? undefined : true),
      { timeoutMs: 15_000 },
    );
  });

  it('retires: the task stops, the storage is released, AgentStopped (expected) and MemoryArchived follow', async () => {
    const [task] = (await infra.tasksByAgent()).get('burst-00') ?? [];
    await directory.emit('AgentRetired', { agentId: 'burst-00', reason: 'test' });
    // Generous: on a loaded 2-core CI machine a retried step waits out the consumer's back-off.
    const [archived] = await waitFor(
      'MemoryArchived for burst-00',
      async () => {
        const events = await heard('MemoryArchived', 'burst-00');
        return events.length > 0 ? events : undefined;
      },
      { timeoutMs: 90_000 },
    );
    assert.equal(archived?.detail.data['archiveLocation'], `efs://${infra.fileSystemId}/agents/burst-00`);
    const [stopped] = await heard('AgentStopped', 'burst-00');
    assert.deepEqual(
      { taskArn: stopped?.detail.data['taskArn'], expected: stopped?.detail.data['expected'] },
      { taskArn: task?.taskArn, expected: true },
    );
    assert.equal((await infra.tasksByAgent()).has('burst-00'), false);
    assert.deepEqual(await infra.accessPointsAt('/agents/burst-00'), []);
    assert.deepEqual(await heard('CascadeStepFailed'), []);
  });

  it("refuses a CredentialsIssued naming another agent's secret, by name and by tag: DLQ with the reason, no task", async () => {
    // The genuine source (routing passes it): the forgery is in the payload, which only provisioning can judge.
    await issue(['owner']);
    // Right name, wrong tag: a secret at `target-2`'s name that Secrets Manager tags as owner's.
    const mistagged = await new SecretsManagerClient({}).send(
      new CreateSecretCommand({
        Name: agentSecretName(routing.environment, 'target-2'),
        SecretString: '{}',
        Tags: [
          { Key: AGENT_SECRET_TAG_KEYS.agentId, Value: 'owner' },
          { Key: AGENT_SECRET_TAG_KEYS.environment, Value: routing.environment },
        ],
      }),
    );
    for (const agentId of ['target-1', 'target-2']) {
      await directory.emit('AgentHired', {
        agentId,
        name: agentId,
        title: 'Engineer',
        level: 'ic',
        department: 'Engineering',
        managerId: 'ceo',
      });
      await bridge.emit('ChatAccountReady', { agentId, matrixUserId: `@agent-${agentId}:fleet.test` });
    }
    await credentials.emit('CredentialsIssued', {
      agentId: 'target-1',
      secretArn: secrets.get('owner')!,
      restored: false,
    });
    await credentials.emit('CredentialsIssued', {
      agentId: 'target-2',
      secretArn: mistagged.ARN!,
      restored: false,
    });

    const letters = await waitFor("two dead letters on provisioning's DLQ", async () => {
      const found = (await deadLetters(clients.sqs, routing.queues.provisioning.deadLetterQueueName)).filter(
        (l) => /target-\d/.test(l.body),
      );
      return found.length >= 2 ? found : undefined;
    });
    const messageFor = (agentId: string) =>
      letters.find((l) => l.body.includes(`"${agentId}"`))?.attributes[DEAD_LETTER_ATTRIBUTES.message] ?? '';
    for (const letter of letters)
      assert.equal(letter.attributes[DEAD_LETTER_ATTRIBUTES.reason], 'handler-rejected');
    assert.match(
      messageFor('target-1'),
      /names secret "ocf\/[^/]+\/agents\/owner", but agent target-1's secret is/,
    );
    assert.match(messageFor('target-2'), /tagged ocf:agent-id=owner, not target-2/);

    // Everything delivered is handled, then a whole pass: neither agent got a task.
    await fleetQuiet(clients.sqs, routing, ['provisioning']);
    await reconcilePasses(provisioning!.url, 1);
    const running = await infra.tasksByAgent();
    assert.equal(running.has('target-1'), false);
    assert.equal(running.has('target-2'), false);
    assert.deepEqual(await heard('AgentLaunching', 'target-1'), []);
    assert.deepEqual(await heard('AgentLaunching', 'target-2'), []);
  });
});
