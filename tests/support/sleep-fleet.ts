import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MatrixClient } from 'matrix-bot-sdk';
import {
  isAlive,
  readLocalExitFile,
  readLocalTaskFile,
  type LocalExitFile,
  type LocalTaskFile,
} from '@ocf/agent-tasks';
import { createMemoryLogger } from '@ocf/logging';
import { useFleetLoggerForMatrix } from '@ocf/matrix';
import { createNaming, type Naming } from '@ocf/naming';
import { applyRouting, fleetRouting, type FleetRouting } from '@ocf/routing';
import {
  startFakeOpenAI,
  type FakeOpenAI,
  type Script,
} from '../../agent-container/test/support/fake-openai.ts';
import { awsClients, uniqueEnvironment, waitFor } from './aws.ts';
import { homeserverUnderTest, type HomeserverUnderTest } from './homeserver.ts';
import { listenOnBus } from './listener.ts';
import { registerHuman } from './matrix.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from './services.ts';

const REPOSITORY = resolve(import.meta.dirname, '../..');

/**
 * The five services as real processes on the test run's moto and Synapse, with provisioning's
 * local runner starting the real agent entrypoint (the real OpenClaw gateway) and the fake model,
 * and the bridge receiving Synapse's pushes: what sleep and wake need end to end (ADR 0019). The
 * sleep e2e test and the wake-latency benchmark share it.
 */
export interface SleepFleet {
  readonly routing: FleetRouting;
  readonly hs: HomeserverUnderTest;
  readonly naming: Naming;
  /** The human CEO: invited to every org room by the bridge. */
  readonly person: { readonly userId: string; readonly client: MatrixClient; readonly password: string };
  readonly llm: FakeOpenAI;
  readonly directoryUrl: string;
  readonly token: string;
  readonly agentsDir: string;
  readonly bus: Awaited<ReturnType<typeof listenOnBus>>;
  readonly services: readonly RunningServiceProcess[];
  /** Hires by REST; resolves when the directory accepted it. */
  hire(body: Record<string, unknown>): Promise<void>;
  agent(agentId: string): Promise<{ status: string; wakes?: { count: number; lastAt: string } }>;
  untilStatus(agentId: string, status: string, timeoutMs?: number): Promise<void>;
  /** The agent's running task (task.json): provisioning removes it once a stopped task has exited. */
  task(agentId: string): Promise<LocalTaskFile | undefined>;
  /** How the agent's last task ended (exit.json), and whether provisioning stopped it on purpose. */
  exit(agentId: string): Promise<LocalExitFile | undefined>;
  /**
   * Waits until the agent's entrypoint has said "agent ready" `times` times in all: its gateway is
   * logged in to Matrix. Health calls it running earlier (the gateway's /healthz), and a message
   * that arrives before a first start's first sync is taken as history (ADR 0009).
   */
  untilListening(agentId: string, times?: number): Promise<void>;
  /** Joins `roomId` as the agent, with the application service's token, as the bridge does. */
  joinAsAgent(agentId: string, roomId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startSleepFleet(options: {
  readonly name: string;
  readonly model: Script;
  readonly bridgeEnv?: Record<string, string>;
}): Promise<SleepFleet> {
  useFleetLoggerForMatrix(createMemoryLogger(), 'ERROR');
  // The agents are real OpenClaw gateways: their plugin home is installed once per checkout (a
  // no-op check after that). Done here too, so a sleep suite run alone in a fresh clone works.
  execFileSync(process.execPath, [join(REPOSITORY, 'agent-container/scripts/install-openclaw-plugins.ts')], {
    stdio: 'inherit',
  });
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment(options.name));
  const namespace = routing.environment;
  const hs = await homeserverUnderTest();
  await applyRouting(routing, clients);
  const naming = createNaming({ serverName: hs.serverName, namespace });
  const bus = await listenOnBus(clients, routing.busName, {
    'detail-type': [
      'AgentRestartRequested',
      'AgentStopped',
      'AgentAsleep',
      'AgentAwake',
      'AgentWakeRequested',
      'AgentSleepRequested',
      'AgentCrashLooping',
      'AgentLaunching',
      'MemoryArchived',
    ],
  });
  const person = await registerHuman(hs.url, hs.registrationSharedSecret, `ceo-${namespace.slice(-6)}`);
  const llm = await startFakeOpenAI(options.model);
  const agentsDir = await mkdtemp(join(tmpdir(), `ocf-${options.name}-`));
  const common = { OCF_ENV: routing.environment, DIRECTORY_OUTBOX_SWEEP_MS: '1000' };
  const token = await runServiceScript('directory', 'create-token.ts', ['--name', options.name], common);
  const services: RunningServiceProcess[] = [];
  // The web console's chat (ADR 0025) needs the homeserver and the fleet's Matrix names.
  const directory = await startServiceProcess('directory', {
    ...common,
    CONSOLE_HOMESERVER_URL: hs.url,
    MATRIX_SERVER_NAME: hs.serverName,
    MATRIX_NAMESPACE: namespace,
  });
  services.push(directory);
  const local = { AGENT_RUNNER: 'local', LOCAL_AGENTS_DIR: agentsDir };
  // allSettled, not all: when one service fails to start (a slow machine), the ones that did start
  // are stopped before the error is thrown, or they would keep the test process alive for good.
  const started = await Promise.allSettled([
    startServiceProcess('credentials', common),
    startServiceProcess('bridge', {
      ...common,
      MATRIX_HOMESERVER_URL: hs.url,
      MATRIX_SERVER_NAME: hs.serverName,
      MATRIX_REGISTRATION_SHARED_SECRET: hs.registrationSharedSecret,
      BRIDGE_AS_ID: hs.appservice.id,
      BRIDGE_AS_TOKEN: hs.appservice.asToken,
      BRIDGE_HS_TOKEN: hs.appservice.hsToken,
      BRIDGE_SENDER_LOCALPART: hs.appservice.senderLocalpart,
      // Synapse pushes every message in the agents' rooms here: the bridge must hear them.
      BRIDGE_AS_PORT: new URL(hs.appservice.url).port,
      BRIDGE_NAMESPACE: namespace,
      BRIDGE_CEO_USER_ID: person.userId,
      BRIDGE_SLEEP_CHECK_MS: '1000',
      BRIDGE_ACTIVITY_FLUSH_MS: '500',
      ...options.bridgeEnv,
    }),
    startServiceProcess('provisioning', {
      ...common,
      ...local,
      MATRIX_HOMESERVER_URL: hs.url,
      MATRIX_NAMESPACE: namespace,
      PROVISIONING_RESYNC_MS: '2000',
      LOCAL_AGENT_COMMAND: JSON.stringify([
        process.execPath,
        join(REPOSITORY, 'agent-container/src/main.ts'),
      ]),
      LOCAL_AGENT_ENV: JSON.stringify({
        DIRECTORY_URL: directory.url,
        MATRIX_SERVER_NAME: hs.serverName,
        MATRIX_NAMESPACE: namespace,
        MATRIX_ORG_HUMANS: person.userId,
        MODEL_PROVIDER: 'openai-compatible',
        MODEL_ID: 'fake-model',
        OPENAI_BASE_URL: llm.baseUrl,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      }),
    }),
    startServiceProcess('health', {
      ...common,
      ...local,
      HEALTH_POLL_MS: '1000',
      HEALTH_METRICS_MS: '2000',
      HEALTH_UNHEALTHY_GRACE_MS: '120000',
      HEALTH_LAUNCH_TIMEOUT_MS: '120000',
    }),
  ]);
  for (const result of started) if (result.status === 'fulfilled') services.push(result.value);
  const failedStart = started.find((result) => result.status === 'rejected');
  if (failedStart !== undefined) {
    await Promise.all(services.map((s) => s.stop()));
    await llm.close();
    await rm(agentsDir, { recursive: true, force: true });
    throw failedStart.reason;
  }

  const authorized = { authorization: `Bearer ${token}` };
  const agent = async (agentId: string) => {
    const response = await fetch(`${directory.url}/v1/agents/${agentId}`, { headers: authorized });
    if (!response.ok) throw new Error(`GET agent ${agentId}: ${response.status}`);
    return (await response.json()) as { status: string; wakes?: { count: number; lastAt: string } };
  };
  const task = (agentId: string) => readLocalTaskFile(join(agentsDir, agentId));
  return {
    routing,
    hs,
    naming,
    person,
    llm,
    directoryUrl: directory.url,
    token,
    agentsDir,
    bus,
    services,
    async hire(body) {
      const response = await fetch(`${directory.url}/v1/agents`, {
        method: 'POST',
        headers: { ...authorized, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 202) throw new Error(`hire: ${response.status} ${await response.text()}`);
    },
    agent,
    async untilStatus(agentId, status, timeoutMs = 150_000) {
      try {
        await waitFor(
          `${agentId} to be ${status}`,
          async () => ((await agent(agentId)).status === status ? true : undefined),
          { timeoutMs, intervalMs: 250 },
        );
      } catch (error) {
        // What the agent was doing, to tell a slow machine from a broken start.
        const { readFile } = await import('node:fs/promises');
        const tail = async (file: string) =>
          (await readFile(join(agentsDir, agentId, file), 'utf8').catch(() => ''))
            .split('\n')
            .slice(-25)
            .join('\n');
        const seen = await agent(agentId).catch(() => undefined);
        throw new Error(
          `${(error as Error).message} (status ${JSON.stringify(seen)})\nstdout:\n${await tail('stdout.log')}\nstderr:\n${await tail('stderr.log')}`,
          { cause: error },
        );
      }
    },
    task,
    exit: (agentId) => readLocalExitFile(join(agentsDir, agentId)),
    async untilListening(agentId, times = 1) {
      const { readFile } = await import('node:fs/promises');
      await waitFor(
        `${agentId} to listen on Matrix`,
        async () => {
          const log = await readFile(join(agentsDir, agentId, 'stdout.log'), 'utf8').catch(() => '');
          return log.split('"message":"agent ready"').length - 1 >= times ? true : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 250 },
      );
    },
    async joinAsAgent(agentId, roomId) {
      const userId = naming.agentUserId(agentId);
      const joined = await fetch(
        `${hs.url}/_matrix/client/v3/join/${encodeURIComponent(roomId)}?user_id=${encodeURIComponent(userId)}`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${hs.appservice.asToken}`, 'content-type': 'application/json' },
          body: '{}',
        },
      );
      if (!joined.ok) throw new Error(`join as ${userId}: ${joined.status} ${await joined.text()}`);
    },
    async stop() {
      await Promise.all(services.map((s) => s.stop()));
      // Provisioning leaves its agents running by design (a restart adopts them): stop ours.
      const { readdir } = await import('node:fs/promises');
      for (const name of await readdir(agentsDir).catch(() => [] as string[])) {
        const running = await readLocalTaskFile(join(agentsDir, name)).catch(() => undefined);
        if (running !== undefined && isAlive(running)) {
          try {
            process.kill(-running.pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }
      }
      await llm.close();
      await rm(agentsDir, { recursive: true, force: true });
    },
  };
}

/** The agent's messages in a room after one event (and before another, if given), oldest first. */
export async function agentMessagesBetween(
  client: MatrixClient,
  room: string,
  agentUserId: string,
  after: string,
  before?: string,
): Promise<{ body: string; ts: number }[]> {
  const { chunk } = (await client.doRequest(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages`,
    { dir: 'b', limit: 50 },
  )) as {
    chunk: {
      event_id: string;
      sender: string;
      type: string;
      origin_server_ts: number;
      content: { body?: string };
    }[];
  };
  const start = chunk.findIndex((e) => e.event_id === after);
  if (start < 0) return [];
  const end = before === undefined ? -1 : chunk.findIndex((e) => e.event_id === before);
  return chunk
    .slice(end < 0 ? 0 : end + 1, start)
    .filter((e) => e.sender === agentUserId && e.type === 'm.room.message')
    .map((e) => ({ body: e.content.body ?? '', ts: e.origin_server_ts }))
    .reverse();
}

/** Waits for the agent's first message in a room after an event. */
export function answerTo(
  client: MatrixClient,
  room: string,
  agentUserId: string,
  eventId: string,
  timeoutMs = 150_000,
): Promise<{ body: string; ts: number }> {
  return waitFor(
    `the agent's answer to ${eventId}`,
    async () => (await agentMessagesBetween(client, room, agentUserId, eventId))[0],
    { timeoutMs, intervalMs: 250 },
  );
}

/** Says something in a room, mentioning the agent if asked. */
export function say(client: MatrixClient, room: string, text: string, mention?: string): Promise<string> {
  return client.sendMessage(
    room,
    mention === undefined
      ? { msgtype: 'm.text', body: text }
      : { msgtype: 'm.text', body: `${mention} ${text}`, 'm.mentions': { user_ids: [mention] } },
  );
}

export { isAlive };
