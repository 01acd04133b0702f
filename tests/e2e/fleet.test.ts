import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MatrixClient } from 'matrix-bot-sdk';
import { createNaming } from '@ocf/naming';
import { resolveStackSettings, stackStatus } from '@ocf/local-stack';
import { createMemoryLogger } from '@ocf/logging';
import { useFleetLoggerForMatrix } from '@ocf/matrix';
import { applyRouting, fleetRouting, SERVICE_NAMES, type ServiceName } from '@ocf/routing';
import { agentSecretName } from '@ocf/secrets';
import { readMetric } from '../../services/health/test/support/cloudwatch.ts';
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
import { homeserverUnderTest, type HomeserverUnderTest } from '../support/homeserver.ts';
import { listenOnBus, type BusEvent } from '../support/listener.ts';
import { registerHuman } from '../support/matrix.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';
import { testFleetPortBase } from '../support/fleet.ts';
import { fleetQuiet, reconcilePasses } from '../support/signals.ts';

const MAX_FAILURES = 3;

// Every service of the fleet (SERVICE_NAMES) as a real process, on moto (EventBridge, SQS, DynamoDB, Secrets Manager, ECS,
// EFS, CloudWatch) and the real Synapse, driven and checked only through public interfaces: the
// directory's REST API, a raw PutEvents, Matrix as the CEO sees it, and what AWS itself shows.
describe(`the fleet, end to end (${SERVICE_NAMES.join(', ')})`, () => {
  const clients = awsClients();
  const secretsManager = new SecretsManagerClient({});
  const routing = fleetRouting(uniqueEnvironment('fleet'));
  const namespace = routing.environment;
  const common = { OCF_ENV: routing.environment, DIRECTORY_OUTBOX_SWEEP_MS: '1000' };
  let hs: HomeserverUnderTest;
  let ceo: { userId: string; client: MatrixClient };
  let infra: AgentInfrastructure;
  let token: string;
  let bus: Awaited<ReturnType<typeof listenOnBus>>;
  const services: Partial<Record<ServiceName, RunningServiceProcess>> = {};
  let provisioningEnv: Record<string, string>;

  before(async () => {
    useFleetLoggerForMatrix(createMemoryLogger(), 'ERROR');
    hs = await homeserverUnderTest();
    await applyRouting(routing, clients);
    infra = await createAgentInfrastructure(routing.environment);
    const ecsEventsQueue = await routeEcsTaskEvents(routing.environment, infra.cluster);
    bus = await listenOnBus(clients, routing.busName, {
      'detail-type': ['AgentRestartRequested', 'AgentCrashLooping', 'AgentStopped', 'AgentLaunching'],
    });
    ceo = await registerHuman(hs.url, hs.registrationSharedSecret, `ceo-${namespace}`);
    token = await runServiceScript('directory', 'create-token.ts', ['--name', 'e2e-fleet'], common);
    provisioningEnv = { ...common, ...infra.env, PROVISIONING_RESYNC_MS: '2000' };
    const started = await Promise.all([
      startServiceProcess('directory', common),
      startServiceProcess('credentials', common),
      startServiceProcess('bridge', {
        ...common,
        MATRIX_HOMESERVER_URL: hs.url,
        MATRIX_SERVER_NAME: hs.serverName,
        BRIDGE_AS_ID: hs.appservice.id,
        BRIDGE_AS_TOKEN: hs.appservice.asToken,
        BRIDGE_HS_TOKEN: hs.appservice.hsToken,
        BRIDGE_SENDER_LOCALPART: hs.appservice.senderLocalpart,
        // Synapse's push port may be someone else's; nothing here needs the pushes.
        BRIDGE_AS_PORT: '0',
        BRIDGE_NAMESPACE: namespace,
        BRIDGE_CEO_USER_ID: ceo.userId,
      }),
      startServiceProcess('provisioning', provisioningEnv),
      startServiceProcess('health', {
        ...common,
        AGENT_RUNNER: 'ecs',
        AGENT_CLUSTER: infra.cluster,
        HEALTH_ECS_EVENTS_QUEUE_URL: ecsEventsQueue,
        HEALTH_POLL_MS: '1000',
        HEALTH_METRICS_MS: '2000',
        HEALTH_MAX_FAILURES: String(MAX_FAILURES),
        HEALTH_FAILURE_WINDOW_MS: '600000',
        HEALTH_BACKOFF_BASE_MS: '1000',
        HEALTH_BACKOFF_MAX_MS: '2000',
      }),
      // No upstream: nothing here calls a model; it keeps its copy of who is hired, as in a fleet.
      startServiceProcess('model-gateway', common),
    ]);
    [
      services.directory,
      services.credentials,
      services.bridge,
      services.provisioning,
      services.health,
      services['model-gateway'],
    ] = started;
    assert.deepEqual(
      Object.keys(services).sort(),
      [...SERVICE_NAMES].sort(),
      'every service of the fleet runs',
    );
  });

  after(async () => {
    const codes = await Promise.all(Object.values(services).map((s) => s.stop()));
    assert.deepEqual(
      codes,
      codes.map(() => 0),
    );
    infra.destroy();
    secretsManager.destroy();
  });

  // --- helpers -------------------------------------------------------------------------------

  const directoryUrl = () => services.directory?.url ?? '';
  const api = (path: string, body: unknown) =>
    fetch(`${directoryUrl()}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const agent = async (agentId: string) => {
    const response = await fetch(`${directoryUrl()}/v1/agents/${agentId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return response.status === 200
      ? ((await response.json()) as {
          status: string;
          steps: { phase: string; step: string; state: string }[];
        })
      : undefined;
  };
  const untilStatus = (agentId: string, status: string, timeoutMs = 90_000) =>
    waitFor(
      `${agentId} to be ${status}`,
      async () => ((await agent(agentId))?.status === status ? true : undefined),
      {
        timeoutMs,
        intervalMs: 200,
      },
    );
  const running = async (agentId: string) => (await infra.tasksByAgent()).get(agentId) ?? [];
  const secretsOf = async (agentId: string) => {
    const name = agentSecretName(routing.environment, agentId);
    const { SecretList = [] } = await secretsManager.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }], IncludePlannedDeletion: true }),
    );
    return SecretList.filter((s) => s.Name === name);
  };
  const userId = (agentId: string) => `@agent-${namespace}_${agentId}:${hs.serverName}`;
  async function members(roomBase: string): Promise<string[]> {
    const roomId = await ceo.client.resolveRoom(
      createNaming({ serverName: hs.serverName, namespace }).alias(roomBase),
    );
    await ceo.client.joinRoom(roomId);
    return ceo.client.getJoinedRoomMembers(roomId);
  }
  const heard = async (type: string, agentId: string): Promise<BusEvent[]> =>
    (await bus.poll()).filter((e) => e['detail-type'] === type && e.detail.data['agentId'] === agentId);

  /** Watches an agent's status through the API until `done`, and returns every status it saw. */
  async function statusesUntil(agentId: string, done: string, timeoutMs = 60_000): Promise<string[]> {
    const seen: string[] = [];
    await waitFor(
      `${agentId} to reach ${done}`,
      async () => {
        const status = (await agent(agentId))?.status;
        if (status !== undefined && seen.at(-1) !== status) seen.push(status);
        return seen.length > 1 && status === done ? true : undefined;
      },
      { timeoutMs, intervalMs: 50 },
    );
    return seen;
  }

  /**
   * The fleet has nothing left to do: every service's queue is empty (each delivery handled, late
   * ones included), then provisioning has made two whole reconcile passes over that state.
   */
  async function settled(): Promise<void> {
    await fleetQuiet(clients.sqs, routing, SERVICE_NAMES);
    assert.ok(services.provisioning, 'provisioning runs');
    await reconcilePasses(services.provisioning.url, 2);
  }

  /** Someone stops the agent's task behind the fleet's back; ECS says so on the default bus. */
  async function killTask(agentId: string): Promise<string> {
    const [task] = await running(agentId);
    assert.ok(task?.taskArn, `${agentId} has a running task`);
    await infra.stopBehindTheFleetsBack(task.taskArn);
    await publishEcsTaskStateChange(infra.cluster, task.taskArn, 'STOPPED');
    return task.taskArn;
  }

  // --- the tests -----------------------------------------------------------------------------

  it('hires one agent by REST and one by a raw PutEvents: each gets its secret, account, rooms and one task with its own storage', async () => {
    const rest = await api('/v1/agents', {
      agentId: 'grace',
      name: 'Grace Hopper',
      title: 'VP Engineering',
      level: 'vp',
      department: 'Engineering',
      manager: 'ceo',
    });
    assert.equal(rest.status, 202, await rest.clone().text());
    await untilStatus('grace', 'running');
    const { FailedEntryCount } = await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: routing.busName,
            Source: 'hr.example',
            DetailType: 'AgentHired',
            Detail: JSON.stringify({
              data: {
                agentId: 'ada',
                name: 'Ada Lovelace',
                title: 'Director of Platform',
                level: 'director',
                department: 'Engineering',
                managerId: 'grace',
              },
            }),
          },
        ],
      }),
    );
    assert.equal(FailedEntryCount ?? 0, 0);
    await untilStatus('ada', 'running');

    for (const agentId of ['grace', 'ada']) {
      const view = await agent(agentId);
      assert.deepEqual(
        view?.steps.map((s) => `${s.step}:${s.state}`),
        ['credentials:done', 'chat-account:done', 'task:done'],
      );
      assert.equal((await secretsOf(agentId)).length, 1, `${agentId} has exactly one secret`);

      const tasks = await running(agentId);
      assert.equal(tasks.length, 1, `${agentId} has exactly one task`);
      const [task] = tasks;
      assert.equal(task?.lastStatus, 'RUNNING');
      assert.equal(tagsOf(task)['ocf:agent-id'], agentId);
      const { taskDefinition } = await infra.taskDefinitionOf(task);
      const accessPointId = taskDefinition?.volumes?.find((v) => v.name === 'agent-storage')
        ?.efsVolumeConfiguration?.authorizationConfig?.accessPointId;
      assert.ok(accessPointId, `${agentId}'s task mounts an access point`);
      assert.equal((await infra.accessPoint(accessPointId))?.RootDirectory?.Path, `/agents/${agentId}`);
    }
    const all = await members('all-employees');
    assert.ok(all.includes(userId('grace')) && all.includes(userId('ada')), 'both in #all-employees');
    const leadership = await members('engineering-leadership');
    assert.ok(
      leadership.includes(userId('grace')) && leadership.includes(userId('ada')),
      'both in the leadership room',
    );
  });

  it('restarts a task stopped behind its back: restarting, then running again, on a new task', async () => {
    const killed = await killTask('grace');
    const seen = await statusesUntil('grace', 'running');
    assert.ok(seen.includes('restarting'), `went through restarting: ${seen.join(' -> ')}`);
    const tasks = await running('grace');
    assert.equal(tasks.length, 1);
    assert.notEqual(tasks[0]?.taskArn, killed);
    const [restart] = await heard('AgentRestartRequested', 'grace');
    assert.equal(restart?.detail.data['attempt'], 1);
  });

  it('stops restarting a task that keeps dying, and says the agent is crash-looping', async () => {
    const killed = new Set<string>();
    await waitFor(
      'ada to be crash-looping',
      async () => {
        const status = (await agent('ada'))?.status;
        if (status === 'crash-looping') return true;
        const [task] = await running('ada');
        if (status === 'running' && task?.taskArn !== undefined && !killed.has(task.taskArn)) {
          killed.add(await killTask('ada'));
        }
        return undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    assert.equal(killed.size, MAX_FAILURES);
    const [looping] = await waitFor('AgentCrashLooping on the bus', async () => {
      const events = await heard('AgentCrashLooping', 'ada');
      return events.length > 0 ? events : undefined;
    });
    assert.equal(looping?.detail.data['failures'], MAX_FAILURES);
    // Once every event is handled, let two whole resyncs go by: no new task for a crash-looping agent.
    await settled();
    assert.deepEqual(await running('ada'), []);
    assert.equal((await agent('ada'))?.status, 'crash-looping');
    await bus.drain();
    assert.equal((await heard('AgentRestartRequested', 'ada')).length, MAX_FAILURES - 1);
  });

  it('loses nothing when provisioning is killed in the middle of a burst of 20 hires: 20 agents, 20 tasks, no duplicates', async () => {
    const agents = Array.from({ length: 20 }, (_, i) => `engineer-${String(i + 1).padStart(2, '0')}`);
    for (const agentId of agents) {
      const response = await api('/v1/agents', {
        agentId,
        name: `Engineer ${agentId.slice(-2)}`,
        title: 'Software Engineer',
        level: 'ic',
        department: 'Engineering',
        team: 'Platform',
        manager: 'grace',
      });
      assert.equal(response.status, 202, await response.clone().text());
    }
    await waitFor(
      'the burst to be under way',
      async () => {
        const byAgent = await infra.tasksByAgent();
        return agents.filter((a) => byAgent.has(a)).length >= 3 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    const provisioning = services.provisioning;
    assert.ok(provisioning);
    provisioning.child.kill('SIGKILL');
    await new Promise((resolve) => provisioning.child.once('exit', resolve));
    const before = await infra.tasksByAgent();
    const launchedBefore = agents.filter((a) => before.has(a)).length;
    process.stderr.write(`[fleet e2e] provisioning killed after ${launchedBefore} of 20 launches\n`);
    services.provisioning = await startServiceProcess('provisioning', provisioningEnv);

    await waitFor(
      'all 20 agents running',
      async () =>
        (await Promise.all(agents.map(async (a) => (await agent(a))?.status))).every((s) => s === 'running')
          ? true
          : undefined,
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    // Including what the killed process held, which comes back when its visibility runs out.
    await settled();
    const byAgent = await infra.tasksByAgent();
    for (const agentId of agents)
      assert.equal(byAgent.get(agentId)?.length, 1, `${agentId} has exactly one task`);
    const stopped = (await infra.tasks('STOPPED')).filter((t) =>
      agents.includes(tagsOf(t)['ocf:agent-id'] ?? ''),
    );
    assert.deepEqual(
      stopped.map((t) => `${tagsOf(t)['ocf:agent-id']}: ${t.stoppedReason}`),
      [],
      'no duplicate was ever started',
    );
    for (const agentId of agents) assert.equal((await secretsOf(agentId)).length, 1);
  });

  it('publishes the fleet metrics, read back from CloudWatch', async () => {
    const dimensions = { Environment: routing.environment };
    await waitFor(
      'the metrics in CloudWatch',
      async () => {
        const [hires, restarts, loops, runningNow] = await Promise.all([
          readMetric('Hires', dimensions),
          readMetric('Restarts', dimensions),
          readMetric('CrashLoops', dimensions),
          readMetric('AgentsByState', { ...dimensions, State: 'running' }),
        ]);
        return hires.sum >= 22 && restarts.sum >= MAX_FAILURES && loops.sum === 1 && runningNow.maximum >= 21
          ? true
          : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    const latency = await readMetric('CascadeStepLatency', { ...dimensions, Cascade: 'hire', Step: 'task' });
    assert.ok(latency.samples >= 22, 'a task-step latency per hire');
  });
});

// The README's one command, as a person runs it: `fleet up --sample 10`, watch every agent reach
// running, Ctrl-C, and nothing of the fleet is left running (the shared backends stay up).
describe('the fleet command (local processes)', async () => {
  const backends = await stackStatus();
  const processStack = backends.every((b) => b.state === 'running');
  const environment = uniqueEnvironment('cmd');

  it(
    'brings the fleet up with a sample org, shows every agent running, and stops everything on Ctrl-C',
    { skip: processStack ? false : 'the backends under test are not a local process stack' },
    async () => {
      // A fixed block of its own, below the kernel's ephemeral range: a random free port there can
      // be taken by any outgoing connection between the probe and the fleet's listen (CI saw it).
      const portBase = testFleetPortBase(40);
      const fleet = spawn(
        process.execPath,
        [
          resolve(import.meta.dirname, '../../local-stack/src/fleet.ts'),
          'up',
          '--env',
          environment,
          '--sample',
          '10',
          // 28 agents at once: the stand-in, as for any large sample org.
          '--agents',
          'stand-in',
          '--port-base',
          String(portBase),
        ],
        { env: { ...process.env, BRIDGE_AS_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const output: string[] = [];
      createInterface({ input: fleet.stderr }).on('line', (line) => output.push(line));
      let allRunning = false;
      createInterface({ input: fleet.stdout }).on('line', (line) => {
        output.push(line);
        const counts = /(\d+) agents: running (\d+)$/.exec(line);
        if (counts !== null && counts[1] === counts[2]) allRunning = true;
      });
      try {
        await waitFor('every agent of the sample org to be running', () => (allRunning ? true : undefined), {
          timeoutMs: 180_000,
          intervalMs: 250,
        });
      } catch (error) {
        fleet.kill('SIGINT');
        throw new Error(`${(error as Error).message}\n${output.slice(-40).join('\n')}`, { cause: error });
      }
      const agentsDir = join(resolveStackSettings().stateDir, 'agents', environment);
      const pids = await Promise.all(
        (await readdir(agentsDir)).map(
          async (agentId) =>
            (JSON.parse(await readFile(join(agentsDir, agentId, 'task.json'), 'utf8')) as { pid: number })
              .pid,
        ),
      );
      assert.ok(pids.length >= 10, `${pids.length} agent processes`);
      assert.ok(pids.every(alive), 'every agent runs as a process');
      // Reads need the fleet's token too: the one it printed.
      const printed = output.map((line) => /^\s*TOKEN=(\S+)$/.exec(line)?.[1]).find((t) => t !== undefined);
      assert.ok(printed !== undefined, 'the fleet prints its API token');
      const listUrl = `http://127.0.0.1:${portBase}/v1/agents?limit=200`;
      assert.equal((await fetch(listUrl)).status, 401, 'no anonymous reads');
      const status = await fetch(listUrl, { headers: { authorization: `Bearer ${printed}` } });
      assert.equal(status.status, 200);

      const exited = once(fleet, 'exit');
      fleet.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, output.slice(-20).join('\n'));
      assert.ok(!pids.some(alive), 'no agent process is left');
      for (let port = portBase; port < portBase + SERVICE_NAMES.length; port++) {
        await assert.rejects(
          fetch(`http://127.0.0.1:${port}/healthz`),
          `nothing listens on ${port} any more`,
        );
      }
      assert.ok(
        (await stackStatus()).every((b) => b.state === 'running'),
        'the shared backends are left alone',
      );
      // Its agents' folders and its logs are kept by design; a test leaves nothing behind.
      await rm(agentsDir, { recursive: true, force: true });
      await rm(join(resolveStackSettings().stateDir, 'fleet', environment), { recursive: true, force: true });
    },
  );
});

/** The process exists and has not exited (a zombie waiting for its parent has). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    return true;
  }
}
