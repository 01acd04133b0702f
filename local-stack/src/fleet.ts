#!/usr/bin/env node
/**
 * The whole fleet on this machine, in one command (see docs/fleet.md):
 *
 *   node local-stack/src/fleet.ts up [--sample <n>] [--env <name>]   backends, routing, the five
 *        services, an API token, optionally a sample org of n agents; then each agent's status
 *        until Ctrl-C, which stops everything `up` started. Meanwhile it supervises: a service
 *        that dies is restarted with back-off (supervisor.ts), a backend that dies is started
 *        again (moto restores its saved state, ADR 0015), and the rest keeps running.
 *   node local-stack/src/fleet.ts status [--env <name>]              the agents' status, once
 *   node local-stack/src/fleet.ts down [--env <name>]                stops what `up` started
 *
 * Agents are real OpenClaw agents (the agent-container's entrypoint; `--agents stand-in` for the
 * stand-in) run as local processes (provisioning's local runner), or, with AGENT_RUNNER=ecs, as ECS
 * tasks on the emulator (records only: moto runs no container; see docs/fleet.md); everything
 * else talks to moto and Synapse from `pnpm stack up`. Each service is a process of its own group with its own log, so
 * Ctrl-C reaches only this command, which then stops the services, the agents, and the backends
 * if (and only if) it started them. A service that exits with code 0 was stopped on purpose
 * (`down` from another shell) and is not restarted. Exit codes: 0 done, 1 failed, 2 usage.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  AGENT_KINDS,
  baseEnvironment,
  DEFAULT_ENVIRONMENT,
  LOCAL_AWAKE_CAP,
  localAgentSettings,
  type AgentKind,
} from './fleet-environment.ts';
import { followAgents, type FollowAgentsOptions } from './agent-watch.ts';
import { terminalSafe } from '@ocf/terminal';
import { agentLines, statusLine, type AgentSummary } from './fleet-status.ts';
import { assertPortFree, isRunning, stopProcessGroup, spawnInOwnGroup, type PidRecord } from './processes.ts';
import { resolveStackSettings } from './settings.ts';
import { readStackInfo, type StackInfo } from './stack-info.ts';
import { stackDown, stackStatus, stackUp } from './stack.ts';
import type { BackendName } from './backend.ts';
import { createSupervisor, restartDecision, type Supervisor } from './supervisor.ts';
import { ensureOperatorUser } from './operator-user.ts';

const SERVICES = ['directory', 'credentials', 'bridge', 'provisioning', 'health', 'model-gateway'] as const;
type Service = (typeof SERVICES)[number];
/** The services' own default ports (their config.ts), so the README's curl lines just work. */
const DEFAULT_PORT_BASE = 8081;
/** directory, credentials, bridge, provisioning, health, model-gateway: `--port-base` and the next five. */
const portsFrom = (base: number): Record<Service, number> => ({
  directory: base,
  credentials: base + 1,
  bridge: base + 2,
  provisioning: base + 3,
  health: base + 4,
  'model-gateway': base + 5,
});

/**
 * The model gateway's settings the fleet command passes on from its own environment: the
 * upstream is one setting (MODEL_UPSTREAM=openai-compatible with MODEL_UPSTREAM_URL and
 * MODEL_UPSTREAM_MODEL, or MODEL_UPSTREAM=bedrock); with none, every agent answers that no model
 * is configured (docs/model-gateway.md).
 */
const MODEL_GATEWAY_SETTINGS = [
  'MODEL_UPSTREAM',
  'MODEL_UPSTREAM_URL',
  'MODEL_UPSTREAM_MODEL',
  'MODEL_UPSTREAM_API_KEY_SECRET_ARN',
  'MODEL_PRICES',
  'MODEL_DEPARTMENT_BUDGETS_USD',
  'MODEL_FLEET_BUDGET_USD',
  'MODEL_REQUESTS_PER_MINUTE',
  'MODEL_TOKENS_PER_MINUTE',
  'MODEL_UPSTREAM_CONCURRENCY',
  'MODEL_USAGE_REPORT_MS',
  'AWS_ENDPOINT_URL_BEDROCK_RUNTIME',
];
const root = path.resolve(import.meta.dirname, '../..');
/** Where the agents run (AGENT_RUNNER): local processes, or ECS tasks on the emulator. */
const RUNNERS = ['local', 'ecs'] as const;
type Runner = (typeof RUNNERS)[number];

interface FleetState {
  readonly environment: string;
  readonly startedAt: string;
  readonly services: Record<string, PidRecord>;
  /** Backends this fleet's `up` started: its `down` stops them, and only them. */
  readonly startedBackends: BackendName[];
  readonly agentsDir: string;
  /** Absent in the state of a fleet from before AGENT_RUNNER=ecs: local. */
  readonly runner?: Runner;
}

const usage = `usage: node local-stack/src/fleet.ts <up|status|down|sleep <agent>|wake <agent>> [--env <name>] [--sample <agents>] [--agents <openclaw|stand-in>] [--port-base <port>] [--service-env <file>]

  up       local backends, the routing, the five services and an API token; with --sample n
           (10 to 5000) also a sample company of n agents. Prints each agent's status until Ctrl-C,
           which stops the services, the agents, and the backends if up started them.
  status   the agents' status, once
  sleep    puts an agent to sleep now (its task stops; a mention or direct message wakes it)
  wake     wakes a sleeping agent now
  down     stops what an 'up' left running (another shell, or after a crash)

--env names the fleet (default: local); every resource, queue and table carries it, and so do
         its Matrix accounts and rooms (@agent-<env>_<id>, #org-<env>_...) unless it is local.
--port-base: the services listen on it and the next five (default 8081: directory 8081 ... health 8085, model-gateway 8086).
--service-env: a JSON file {"<service>": {"NAME": "value"}} of settings laid over each service's own
(benchmarks use it to put counting proxies in front of the backends).
--agents: what each agent is (or FLEET_AGENTS). openclaw (the default): a real OpenClaw agent, its
         model calls through the fleet's model gateway (MODEL_UPSTREAM...; with none, agents answer
         that no model is configured); on-demand, at most ${LOCAL_AWAKE_CAP} awake at once (BRIDGE_AWAKE_CAP).
         stand-in: a small process that behaves like an agent to the fleet, without a model (large
         sample orgs, benchmarks); always-on, no cap.
Agents run as local processes; their folders are under .local-stack/agents/<env>/.
AGENT_RUNNER=ecs runs them as ECS tasks on the emulator instead: up makes the cluster, the task
definition and the rest, and no process runs per agent (moto keeps tasks as records only).`;

function layout(environment: string) {
  const { stateDir } = resolveStackSettings();
  const dir = path.join(stateDir, 'fleet', environment);
  return {
    stateDir,
    dir,
    stateFile: path.join(dir, 'fleet.json'),
    tokenFile: path.join(dir, 'api-token'),
    operatorPasswordFile: path.join(dir, 'ceo-password'),
    logsDir: path.join(dir, 'logs'),
    agentsDir: path.join(stateDir, 'agents', environment),
  };
}

function say(line: string): void {
  process.stderr.write(`fleet: ${line}\n`);
}

/**
 * Each service's own settings on top: the bridge's homeserver registration, where the agents run
 * (their folder, or the emulator's ECS settings from emulator-agent-infra.ts), the model gateway's URL.
 */
function serviceEnvironment(
  service: Service,
  info: StackInfo,
  agentsDir: string,
  ecs: Readonly<Record<string, string>> | undefined,
  ports: Record<Service, number>,
  agents: ReturnType<typeof localAgentSettings>,
): NodeJS.ProcessEnv {
  switch (service) {
    case 'bridge':
      return {
        ...agents.bridge,
        MATRIX_SERVER_NAME: info.serverName,
        BRIDGE_AS_ID: info.appservice.id,
        BRIDGE_AS_TOKEN: info.appservice.asToken,
        BRIDGE_HS_TOKEN: info.appservice.hsToken,
        BRIDGE_SENDER_LOCALPART: info.appservice.senderLocalpart,
        // Where Synapse pushes to the bridge; BRIDGE_AS_PORT=0 when another bridge holds that port.
        BRIDGE_AS_PORT: process.env['BRIDGE_AS_PORT'] ?? new URL(info.appservice.url).port,
        BRIDGE_CEO_USER_ID: process.env['BRIDGE_CEO_USER_ID'] ?? `@ceo:${info.serverName}`,
        // No registration shared secret: the application-service token is all the bridge needs
        // (ADR 0020). The stack keeps the secret for people and tests registering humans.
      };
    case 'provisioning':
      return {
        ...(ecs === undefined
          ? { AGENT_RUNNER: 'local', LOCAL_AGENTS_DIR: agentsDir, ...agents.provisioning }
          : ecs),
        PROVISIONING_RESYNC_MS: '15000',
        // The human CEO may message every agent directly (the console's chat is a direct chat).
        AGENT_ORG_HUMANS: process.env['BRIDGE_CEO_USER_ID'] ?? `@ceo:${info.serverName}`,
        // Every agent's model calls go through the fleet's gateway, with its own key.
        AGENT_MODEL_GATEWAY_URL: `http://127.0.0.1:${ports['model-gateway']}`,
      };
    case 'health':
      return {
        // moto sends no ECS task state changes: polling is what notices a stopped task.
        ...(ecs === undefined
          ? { AGENT_RUNNER: 'local', LOCAL_AGENTS_DIR: agentsDir }
          : { AGENT_RUNNER: 'ecs', AGENT_CLUSTER: ecs['AGENT_CLUSTER'] }),
        HEALTH_POLL_MS: '5000',
        HEALTH_METRICS_MS: '60000',
        ...(ecs === undefined ? agents.health : {}),
      };
    case 'model-gateway':
      return { MODEL_USAGE_REPORT_MS: '10000', ...pick(process.env, MODEL_GATEWAY_SETTINGS) };
    case 'directory':
      // For the web console's chat (ADR 0025): where a browser reaches the homeserver, and the
      // names the bridge gives agents and rooms (the namespace comes with the base environment).
      return { CONSOLE_HOMESERVER_URL: info.homeserverUrl, MATRIX_SERVER_NAME: info.serverName };
    default:
      return {};
  }
}

/**
 * What a person needs to know about real agents: how many are awake at once, and what answers
 * them (the model gateway's upstream; with none, every agent says that no model is configured).
 */
function realAgentLines(bridge: NodeJS.ProcessEnv, env: NodeJS.ProcessEnv): string[] {
  const upstream = env['MODEL_UPSTREAM'] ?? 'none';
  return [
    `agents: real OpenClaw agents, on-demand: at most ${bridge['BRIDGE_AWAKE_CAP'] ?? LOCAL_AWAKE_CAP} awake at once ` +
      `(BRIDGE_AWAKE_CAP); a mention or a direct message wakes one. --agents stand-in for large sample orgs.`,
    upstream === 'none'
      ? 'model: none configured, so every agent answers that no model is configured; set MODEL_UPSTREAM=openai-compatible MODEL_UPSTREAM_URL=... MODEL_UPSTREAM_MODEL=... (docs/model-gateway.md)'
      : `model: ${upstream}${env['MODEL_UPSTREAM_MODEL'] === undefined ? '' : ` ${env['MODEL_UPSTREAM_MODEL']}`}, through the fleet's model gateway`,
  ];
}

/** The variables of `source` among `names` that are set. */
function pick(source: NodeJS.ProcessEnv, names: readonly string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(
    names.flatMap((name) => (source[name] === undefined ? [] : [[name, source[name]]])),
  );
}

/** Runs one of the repository's scripts to the end; its stdout is the result. */
async function runScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, [path.join(root, script), ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${script} exited with ${code}: ${stderr.trim()}`);
  return stdout.trim();
}

async function waitReady(
  service: Service,
  record: PidRecord,
  logFile: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${record.port}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (!(await isRunning(record))) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const log = await readFile(logFile, 'utf8').catch(() => '');
  throw new Error(
    `${service} did not become ready; the end of ${logFile}:\n${log.split('\n').slice(-15).join('\n')}`,
  );
}

/**
 * Writes the state file whole or not at all (a temporary file, then a rename): the running `up`
 * reads it every two seconds to learn whether `down` removed it, and a read in the middle of a
 * plain write (during a service's restart) once saw half a file and took it for a `down`.
 */
async function writeState(stateFile: string, state: FleetState): Promise<void> {
  await writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** Whether the state file is there at all: `down` removing it is what tells a running `up` to leave. */
async function stateFileExists(stateFile: string): Promise<boolean> {
  try {
    await access(stateFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function readState(stateFile: string): Promise<FleetState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile, 'utf8')) as FleetState;
  } catch {
    return undefined;
  }
}

/** Reads need a token like everything else: the one `up` made (write scope, which covers reads). */
async function listAgents(directoryUrl: string, token: string): Promise<AgentSummary[]> {
  const agents: AgentSummary[] = [];
  let cursor: string | undefined;
  do {
    const url = `${directoryUrl}/v1/agents?limit=200${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
    const page = (await response.json()) as { items: AgentSummary[]; cursor?: string };
    agents.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return agents.sort((a, b) => a.agentId.localeCompare(b.agentId));
}

/** Follows the watch stream until `signal` aborts, reconnecting (after a pause) whenever it breaks. */
async function followAgentsForever(
  options: FollowAgentsOptions & { readonly onError: (error: unknown) => void },
): Promise<void> {
  for (;;) {
    try {
      await followAgents(options);
    } catch (error) {
      if (!options.signal.aborted) options.onError(error);
    }
    if (options.signal.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function up(
  environment: string,
  sample: number | undefined,
  portBase: number,
  overrides: Partial<Record<Service, NodeJS.ProcessEnv>>,
  runner: Runner,
  agentKind: AgentKind,
): Promise<number> {
  const PORTS = portsFrom(portBase);
  const paths = layout(environment);
  const previous = await readState(paths.stateFile);
  if (previous !== undefined) {
    const alive = await Promise.all(Object.values(previous.services).map((r) => isRunning(r)));
    if (alive.some(Boolean)) {
      say(
        `the fleet "${environment}" is already up; stop it first: node local-stack/src/fleet.ts down --env ${environment}`,
      );
      return 1;
    }
  }
  for (const service of SERVICES)
    await assertPortFree(
      PORTS[service],
      service,
      'another fleet: stop it, or pick other ports with --port-base',
    );

  say('starting the local backends (moto, Synapse)');
  const stack = await stackUp({
    onProgress: (line) => {
      say(line);
    },
  });
  const info = stack.info;
  await mkdir(paths.logsDir, { recursive: true });
  const env = baseEnvironment(info, environment, stack.stateDir);

  const state: FleetState = {
    environment,
    startedAt: new Date().toISOString(),
    services: {},
    startedBackends: stack.started,
    agentsDir: paths.agentsDir,
    runner,
  };
  const save = () => writeState(paths.stateFile, state);
  await save();

  const supervisors = new Map<Service, Supervisor>();
  let stopping: Promise<void> | undefined;
  /** Ends the status display's watch of the agents. */
  const watching = new AbortController();
  const shutdown = () =>
    (stopping ??= (async () => {
      watching.abort();
      // Stop restarting first: what `down` stops is stopped on purpose.
      for (const supervisor of supervisors.values()) supervisor.stop();
      await down(environment);
    })());
  process.once('SIGINT', () => {
    say('stopping (Ctrl-C)');
    void shutdown().then(() => process.exit(0));
  });
  process.once('SIGTERM', () => {
    void shutdown().then(() => process.exit(0));
  });

  try {
    // The human CEO the bridge invites to every org room, with a password for the console's chat.
    if (process.env['BRIDGE_CEO_USER_ID'] === undefined) {
      const operator = await ensureOperatorUser({
        homeserverUrl: info.homeserverUrl,
        registrationSharedSecret: info.registrationSharedSecret,
        localpart: 'ceo',
        passwordFile: paths.operatorPasswordFile,
      });
      say(
        operator === 'exists-without-password'
          ? `@ceo:${info.serverName} exists but its password is not in ${paths.operatorPasswordFile}: chat from the console needs it`
          : `the CEO's chat account: @ceo:${info.serverName}, password in ${path.relative(process.cwd(), paths.operatorPasswordFile)}`,
      );
    }
    say('applying the routing (bus, queues, rules, tables)');
    await runScript('shared/routing/scripts/apply.ts', [], env);
    // Real agents run OpenClaw's Matrix plugin from a plugin home installed once per machine (ADR 0009).
    const realAgents = runner === 'local' && agentKind === 'openclaw';
    if (realAgents) {
      say('agents: real OpenClaw agents; checking the Matrix plugin they load (installed once per machine)');
      await runScript('agent-container/scripts/install-openclaw-plugins.ts', [], {
        ...process.env,
        ...env,
      }).catch((error: unknown) => {
        throw new Error(
          `could not install OpenClaw's Matrix plugin for real agents (the first time needs the npm registry); ` +
            `--agents stand-in runs the fleet without them. ${errorText(error)}`,
          { cause: error },
        );
      });
    }
    const agentSettings = localAgentSettings({
      // With ECS on the emulator no agent process runs: the kind changes nothing but the defaults.
      kind: realAgents ? 'openclaw' : 'stand-in',
      root,
      node: process.execPath,
      directoryUrl: `http://127.0.0.1:${PORTS.directory}`,
      serverName: info.serverName,
      env: process.env,
    });
    let ecs: Record<string, string> | undefined;
    if (runner === 'ecs') {
      ecs = JSON.parse(
        await runScript('services/provisioning/scripts/emulator-agent-infra.ts', [], env),
      ) as Record<string, string>;
      say(
        `agents run as ECS tasks on the emulator: cluster ${ecs['AGENT_CLUSTER']}, task definition ` +
          `${ecs['AGENT_TASK_DEFINITION']} (moto keeps each task as a record; no container runs)`,
      );
    }

    for (const service of SERVICES) {
      const logFile = path.join(paths.logsDir, `${service}.log`);
      const main = `services/${service}/src/main.ts`;
      const supervisor = createSupervisor({
        name: service,
        say,
        spawn: () => {
          const child = spawnInOwnGroup([process.execPath, path.join(root, main)], {
            logFile,
            cwd: root,
            env: {
              ...env,
              PORT: String(PORTS[service]),
              ...serviceEnvironment(service, info, paths.agentsDir, ecs, PORTS, agentSettings),
              ...overrides[service],
            },
          });
          if (child.pid === undefined) throw new Error(`${service} did not start`);
          state.services[service] = {
            pid: child.pid,
            port: PORTS[service],
            identity: main,
            startedAt: new Date().toISOString(),
          };
          return child;
        },
        onRestart: async () => {
          await save();
          const record = state.services[service];
          if (record === undefined) return;
          const begun = Date.now();
          await waitReady(service, record, logFile);
          say(
            `${service} is back (pid ${record.pid}, ready in ${((Date.now() - begun) / 1000).toFixed(1)} s)`,
          );
        },
        onStoppedOnPurpose: () => {
          say(`${service} exited with code 0 (stopped on purpose); not restarting it`);
        },
      });
      supervisors.set(service, supervisor);
      supervisor.start();
      await save();
    }
    for (const service of SERVICES) {
      const record = state.services[service];
      if (record !== undefined) await waitReady(service, record, path.join(paths.logsDir, `${service}.log`));
      say(
        `${service.padEnd(12)} http://127.0.0.1:${PORTS[service]}   log ${path.relative(process.cwd(), path.join(paths.logsDir, `${service}.log`))}`,
      );
    }

    const token = await runScript(
      'services/directory/scripts/create-token.ts',
      ['--name', `fleet-${Date.now()}`, '--scope', 'write'],
      env,
    );
    await writeFile(paths.tokenFile, `${token}\n`, { mode: 0o600 });
    await chmod(paths.tokenFile, 0o600);
    const directoryUrl = `http://127.0.0.1:${PORTS.directory}`;

    if (sample !== undefined) {
      if (realAgents)
        say(
          `a sample org of real agents: at most ${agentSettings.bridge['BRIDGE_AWAKE_CAP'] ?? LOCAL_AWAKE_CAP} ` +
            'awake at once, the others sleep before their first start and start when someone addresses ' +
            'them (ADR 0028). For a whole sample org without a model, use --agents stand-in.',
        );
      const org = await runScript(
        'services/directory/scripts/sample-org.ts',
        ['--seed', '1', '--size', String(sample), '--format', 'import'],
        env,
      );
      const response = await fetch(`${directoryUrl}/v1/org/import`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: org,
      });
      const result = (await response.json()) as { hired?: number; unchanged?: number; refused?: unknown[] };
      if (!response.ok)
        throw new Error(`importing the sample org failed: ${response.status} ${JSON.stringify(result)}`);
      say(
        `sample org: ${result.hired ?? 0} hired, ${result.unchanged ?? 0} already there, ${result.refused?.length ?? 0} refused`,
      );
    }

    process.stdout.write(
      [
        `fleet "${environment}" is up. API token (also in ${path.relative(process.cwd(), paths.tokenFile)}):`,
        `  TOKEN=${token}`,
        `  curl -s -X POST ${directoryUrl}/v1/agents -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
        `    -d '{"name":"Grace Hopper","title":"VP Engineering","level":"vp","department":"Engineering","manager":"ceo"}'`,
        // The address only: the token is pasted into the page, never put in a URL (ADR 0025).
        `web console: ${directoryUrl}/console/   (sign in with the API token above)`,
        runner === 'ecs'
          ? `agents: ECS tasks on the emulator's cluster ${ecs?.['AGENT_CLUSTER'] ?? ''}.   Ctrl-C stops everything.`
          : `agents' folders: ${path.relative(process.cwd(), paths.agentsDir)}/<agentId>/   Ctrl-C stops everything.`,
        ...(realAgents ? realAgentLines(agentSettings.bridge, process.env) : []),
        '',
      ].join('\n'),
    );

    let last = '';
    const backendCrashes: Record<string, number[]> = {};
    // The display follows the directory's watch stream and prints from what it heard: nothing
    // is listed on a timer, so an idle fleet of thousands costs the directory nothing.
    let agents: readonly AgentSummary[] | undefined;
    const following = followAgentsForever({
      directoryUrl,
      token,
      signal: watching.signal,
      onAgents: (latest) => {
        agents = [...latest.values()].sort((a, b) => a.agentId.localeCompare(b.agentId));
      },
      onError: (error) => {
        say(`could not follow the agents (trying again): ${errorText(error)}`);
      },
    });
    while (stopping === undefined) {
      if (agents !== undefined) {
        const text = [
          `${new Date().toISOString().slice(11, 19)}  ${statusLine(agents)}`,
          ...agentLines(agents),
        ].join('\n');
        const comparable = text.slice(10);
        if (comparable !== last) process.stdout.write(`${text}\n`);
        last = comparable;
      }
      if (!(await stateFileExists(paths.stateFile))) {
        say('the fleet was stopped from elsewhere (`down`); leaving');
        for (const supervisor of supervisors.values()) supervisor.stop();
        watching.abort();
        await following;
        return 0;
      }
      await restartDeadBackends(backendCrashes);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    await stopping;
    watching.abort();
    await following;
    return 0;
  } catch (error) {
    say((error as Error).message);
    await shutdown();
    return 1;
  }
}

/**
 * moto or Synapse died under the fleet: start it again (moto restores its saved state, ADR 0015),
 * with the same back-off and crash-loop brake as the services.
 */
async function restartDeadBackends(crashes: Record<string, number[]>): Promise<void> {
  const statuses = await stackStatus();
  const dead = statuses.filter((status) => status.state === 'stopped');
  if (dead.length === 0) return;
  for (const status of dead) {
    const earlier = (crashes[status.name] ??= []);
    const decision = restartDecision(earlier, Date.now());
    earlier.push(Date.now());
    if (decision.kind === 'give-up') {
      say(
        `${status.name} stopped again (${decision.crashesInWindow} times in a row): not starting it any more; see ${status.logFile}`,
      );
      return;
    }
    say(
      `${status.name} is not running (died? see ${status.logFile}); starting it again in ${(decision.delayMs / 1000).toFixed(1)} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
  }
  await stackUp({
    onProgress: (line) => {
      say(line);
    },
  }).catch((error: unknown) => {
    say(`could not start the backends again: ${(error as Error).message}`);
  });
}

async function down(environment: string): Promise<number> {
  const paths = layout(environment);
  const state = await readState(paths.stateFile);
  if (state === undefined) {
    say(`nothing to stop: no fleet "${environment}" was started from this checkout`);
    return 0;
  }
  await Promise.all(
    Object.entries(state.services).map(async ([service, record]) => {
      if (await isRunning(record)) {
        await stopProcessGroup(record.pid, 30_000);
        say(`stopped ${service}`);
      }
    }),
  );
  // Provisioning leaves agents running when it stops (a restart of it is not a restart of the fleet).
  // ECS tasks on the emulator are records, not processes: they stay, as on AWS, and the next `up`
  // finds them running (provisioning adopts them, health sees them RUNNING).
  const info = await readStackInfo().catch(() => undefined);
  if (state.runner === 'ecs') {
    say("agents: their ECS tasks stay on the emulator (records, no processes); the next 'up' finds them");
  } else if (info !== undefined) {
    const stopped = await runScript(
      'services/provisioning/scripts/stop-local-agents.ts',
      ['--dir', state.agentsDir],
      {
        ...baseEnvironment(info, environment, paths.stateDir),
      },
    ).catch((error: unknown) => `could not stop the agents: ${(error as Error).message}`);
    say(`agents: ${stopped}`);
  }
  if (state.startedBackends.length > 0) {
    const { stopped } = await stackDown({
      only: state.startedBackends,
      onProgress: (line) => {
        say(line);
      },
    });
    if (stopped.length > 0) say(`stopped ${stopped.join(' and ')} (this fleet started them)`);
  }
  await rm(paths.stateFile, { force: true });
  return 0;
}

async function readToken(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function status(environment: string): Promise<number> {
  const paths = layout(environment);
  const state = await readState(paths.stateFile);
  const port = state?.services['directory']?.port ?? DEFAULT_PORT_BASE;
  const token = await readToken(paths.tokenFile);
  if (token === undefined) {
    process.stderr.write(`no API token in ${paths.tokenFile}: bring the fleet up first (fleet.ts up)\n`);
    return 1;
  }
  const agents = await listAgents(`http://127.0.0.1:${port}`, token);
  process.stdout.write(`${[statusLine(agents), ...agentLines(agents, 200)].join('\n')}\n`);
  return 0;
}

/** `fleet sleep <agent>` / `fleet wake <agent>`: the directory's operator requests (ADR 0019). */
async function sleepOrWake(environment: string, action: 'sleep' | 'wake', agentId: string): Promise<number> {
  const paths = layout(environment);
  const state = await readState(paths.stateFile);
  const port = state?.services['directory']?.port ?? DEFAULT_PORT_BASE;
  const token = await readToken(paths.tokenFile);
  if (token === undefined) {
    process.stderr.write(`no API token in ${paths.tokenFile}: bring the fleet up first (fleet.ts up)\n`);
    return 1;
  }
  const response = await fetch(
    `http://127.0.0.1:${port}/v1/agents/${encodeURIComponent(agentId)}/${action}`,
    { method: 'POST', headers: { authorization: `Bearer ${token}` } },
  );
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: unknown };
    process.stderr.write(
      `${action} ${terminalSafe(agentId)}: ${response.status} ${terminalSafe(body.message ?? '')}\n`,
    );
    return 1;
  }
  process.stdout.write(`${terminalSafe(agentId)}: ${action} requested\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'port-base': { type: 'string', default: String(DEFAULT_PORT_BASE) },
        env: { type: 'string', default: DEFAULT_ENVIRONMENT },
        sample: { type: 'string' },
        'service-env': { type: 'string' },
        agents: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const environment = values.env;
  const runner = process.env['AGENT_RUNNER'] ?? 'local';
  if (!(RUNNERS as readonly string[]).includes(runner)) {
    process.stderr.write(`AGENT_RUNNER must be one of ${RUNNERS.join(', ')}, not "${runner}"\n${usage}\n`);
    return 2;
  }
  const agentKind = values.agents ?? process.env['FLEET_AGENTS'] ?? 'openclaw';
  if (!(AGENT_KINDS as readonly string[]).includes(agentKind)) {
    process.stderr.write(
      `--agents (or FLEET_AGENTS) must be one of ${AGENT_KINDS.join(', ')}, not "${agentKind}"\n${usage}\n`,
    );
    return 2;
  }
  const sample = values.sample === undefined ? undefined : Number(values.sample);
  const portBase = Number(values['port-base']);
  if (
    !/^[a-z0-9][a-z0-9-]{0,30}$/.test(environment) ||
    (sample !== undefined && !(Number.isInteger(sample) && sample >= 10 && sample <= 5000)) ||
    !(Number.isInteger(portBase) && portBase >= 1024 && portBase <= 65530)
  ) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  let overrides: Partial<Record<Service, NodeJS.ProcessEnv>> = {};
  if (values['service-env'] !== undefined) {
    try {
      overrides = parseServiceEnv(JSON.parse(await readFile(values['service-env'], 'utf8')));
    } catch (error) {
      process.stderr.write(`--service-env ${values['service-env']}: ${(error as Error).message}\n`);
      return 2;
    }
  }
  const [command, agentId, ...rest] = positionals;
  if ((command === 'sleep' || command === 'wake') && agentId !== undefined && rest.length === 0)
    return sleepOrWake(environment, command, agentId);
  switch (positionals.join(' ')) {
    case 'up':
      return up(environment, sample, portBase, overrides, runner as Runner, agentKind as AgentKind);
    case 'down':
      return down(environment);
    case 'status':
      return status(environment);
    default:
      process.stderr.write(`${usage}\n`);
      return 2;
  }
}

/** `{"<service>": {"NAME": "value"}}`, with known service names and string values only. */
function parseServiceEnv(value: unknown): Partial<Record<Service, NodeJS.ProcessEnv>> {
  if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
  const result: Partial<Record<Service, NodeJS.ProcessEnv>> = {};
  for (const [service, variables] of Object.entries(value)) {
    if (!(SERVICES as readonly string[]).includes(service)) throw new Error(`unknown service "${service}"`);
    if (typeof variables !== 'object' || variables === null) throw new Error(`${service}: not an object`);
    const entries = Object.entries(variables as Record<string, unknown>);
    for (const [name, setting] of entries)
      if (typeof setting !== 'string') throw new Error(`${service}.${name}: not a string`);
    result[service as Service] = Object.fromEntries(entries) as NodeJS.ProcessEnv;
  }
  return result;
}

process.exitCode = await main(process.argv.slice(2));
