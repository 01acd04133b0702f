import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEvent } from '@ocf/events';
import { applyRouting, DIRECTORY_SOURCE, fleetRouting } from '@ocf/routing';
import { createEventBridgePublisher } from '@ocf/runtime';
import {
  createAgentInfrastructure,
  type AgentInfrastructure,
} from '../../services/provisioning/test/support/ecs-fixture.ts';
import { createAgentSecret } from '../support/agent-secrets.ts';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { listenOnBus } from '../support/listener.ts';
import { startServiceProcess, type RunningServiceProcess } from '../support/services.ts';
import { fleetQuiet, reconcilePasses } from '../support/signals.ts';

// Sleep and wake as provisioning carries them out (ADR 0019), with the ECS runner on moto: the
// provisioning service as a real process, fed the requests the bridge and operators send, and
// the faults: a wake delivered twice, provisioning killed in the middle of a wake, and retiring
// an agent that sleeps.
describe('provisioning: sleep and wake on moto ECS', () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('zzz'));
  const as = (source: string) =>
    createEventBridgePublisher({ client: clients.eventBridge, busName: routing.busName, source });
  const directory = as(DIRECTORY_SOURCE);
  const credentials = as('ocf.credentials');
  const bridge = as('ocf.bridge');
  let infra: AgentInfrastructure;
  let env: Record<string, string>;
  let provisioning: RunningServiceProcess | undefined;
  let bus: Awaited<ReturnType<typeof listenOnBus>>;

  before(async () => {
    await applyRouting(routing, clients);
    infra = await createAgentInfrastructure(routing.environment);
    bus = await listenOnBus(clients, routing.busName, {
      'detail-type': ['AgentLaunching', 'AgentAsleep', 'AgentAwake', 'AgentStopped', 'MemoryArchived'],
    });
    env = { ...infra.env, OCF_ENV: routing.environment, PROVISIONING_RESYNC_MS: '2000' };
    provisioning = await startServiceProcess('provisioning', env);
  });

  after(async () => {
    assert.equal(await provisioning?.stop(), 0);
    infra.destroy();
  });

  const heard = async (type: string, agentId: string) =>
    (await bus.drain()).filter((e) => e['detail-type'] === type && e.detail.data['agentId'] === agentId);
  const tasksOf = async (agentId: string) => (await infra.tasksByAgent()).get(agentId) ?? [];
  const settle = async () => {
    await fleetQuiet(clients.sqs, routing, ['provisioning']);
    await reconcilePasses(provisioning?.url ?? '', 2);
  };

  async function hire(agentId: string): Promise<string> {
    const secretArn = await createAgentSecret(routing.environment, agentId);
    await directory.emit('AgentHired', {
      agentId,
      name: agentId,
      title: 'Engineer',
      level: 'ic',
      department: 'Engineering',
      managerId: 'ceo',
      wakePolicy: 'on-demand',
    });
    await credentials.emit('CredentialsIssued', { agentId, secretArn, restored: false });
    await bridge.emit('ChatAccountReady', { agentId, matrixUserId: `@agent-${agentId}:fleet.test` });
    // Generous: after the kill below, a message the killed process held comes back only when its
    // visibility (60 s) runs out.
    const [task] = await waitFor(
      `a task for ${agentId}`,
      async () => {
        const tasks = await tasksOf(agentId);
        return tasks.length > 0 ? tasks : undefined;
      },
      { timeoutMs: 90_000 },
    );
    return task?.taskArn ?? '';
  }

  async function putToSleep(agentId: string): Promise<void> {
    await bridge.emit('AgentSleepRequested', { agentId, reason: 'idle' });
    await waitFor(`AgentAsleep for ${agentId}`, async () =>
      (await heard('AgentAsleep', agentId)).length > 0 ? true : undefined,
    );
  }

  it('stops a sleeping agent on purpose and reports it asleep; a wake delivered twice starts one task', async () => {
    const first = await hire('sleepy');
    await putToSleep('sleepy');
    assert.deepEqual(await tasksOf('sleepy'), [], 'no task while asleep');
    const [asleep] = await heard('AgentAsleep', 'sleepy');
    assert.deepEqual(
      { taskArn: asleep?.detail.data['taskArn'], reason: asleep?.detail.data['reason'] },
      { taskArn: first, reason: 'idle' },
    );
    const stopped = (await infra.tasks('STOPPED')).find((t) => t.taskArn === first);
    assert.match(stopped?.stoppedReason ?? '', /^ocf-provisioning: sleep \(idle\)/);

    // The same request twice (one event, delivered twice), and a second request for the same wake.
    const wake = createEvent('AgentWakeRequested', {
      agentId: 'sleepy',
      reason: 'mention',
      seenAt: new Date().toISOString(),
    });
    await bridge.publish(wake);
    await bridge.publish(wake);
    await bridge.emit('AgentWakeRequested', {
      agentId: 'sleepy',
      reason: 'mention',
      seenAt: new Date().toISOString(),
    });
    await waitFor('AgentAwake for sleepy', async () =>
      (await heard('AgentAwake', 'sleepy')).length > 0 ? true : undefined,
    );
    await settle();
    assert.equal((await tasksOf('sleepy')).length, 1, 'exactly one task after the wakes');
    const started = (await infra.tasks('STOPPED')).filter(
      (t) =>
        t.tags?.some((tag) => tag.key === 'ocf:agent-id' && tag.value === 'sleepy') && t.taskArn !== first,
    );
    assert.deepEqual(
      started.map((t) => t.taskArn),
      [],
      'no second task was started and stopped',
    );
  });

  it('killed in the middle of a wake, a restarted provisioning ends with one task', async () => {
    await hire('dozy');
    await putToSleep('dozy');
    await bridge.emit('AgentWakeRequested', {
      agentId: 'dozy',
      reason: 'mention',
      seenAt: new Date().toISOString(),
    });
    // Killed as soon as the wake's task exists, before it may have recorded or reported it.
    await waitFor(
      'the wake to start a task',
      async () => ((await tasksOf('dozy')).length > 0 ? true : undefined),
      {
        intervalMs: 20,
      },
    );
    const killed = provisioning!;
    killed.child.kill('SIGKILL');
    await new Promise((resolve) => killed.child.once('exit', resolve));
    provisioning = await startServiceProcess('provisioning', env);
    await waitFor(
      'AgentAwake for dozy',
      async () => ((await heard('AgentAwake', 'dozy')).length > 0 ? true : undefined),
      { timeoutMs: 90_000 },
    );
    await settle();
    assert.equal((await tasksOf('dozy')).length, 1, 'exactly one task');
  });

  it('retires a sleeping agent without waking it: no launch, the reverse cascade completes', async () => {
    await hire('napper');
    await putToSleep('napper');
    const launchesBefore = (await heard('AgentLaunching', 'napper')).length;
    await directory.emit('AgentRetired', { agentId: 'napper', reason: 'test' });
    await waitFor(
      'MemoryArchived for napper',
      async () => ((await heard('MemoryArchived', 'napper')).length > 0 ? true : undefined),
      { timeoutMs: 90_000 },
    );
    await settle();
    assert.equal((await heard('AgentLaunching', 'napper')).length, launchesBefore, 'never launched again');
    assert.deepEqual(await tasksOf('napper'), []);
    const [stopped] = await heard('AgentStopped', 'napper');
    assert.equal(stopped?.detail.data['expected'], true);
  });
});
