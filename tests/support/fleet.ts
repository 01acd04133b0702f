import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fleetRouting, SERVICE_NAMES, type FleetRouting, type ServiceName } from '@ocf/routing';
import { waitFor } from './aws.ts';
import { directoryClient, type DirectoryClient } from './directory-client.ts';

const root = path.resolve(import.meta.dirname, '../..');

/** The services `fleet up` starts and supervises: every service of the routing definition. */
export const FLEET_SERVICES = SERVICE_NAMES;
export type FleetService = ServiceName;

export interface ServiceRecord {
  readonly pid: number;
  readonly port: number;
}

export interface RunningFleet {
  readonly environment: string;
  readonly routing: FleetRouting;
  readonly portBase: number;
  readonly token: string;
  readonly directory: DirectoryClient;
  /** Every line the fleet command printed, stdout and stderr. */
  readonly console: string[];
  readonly child: ChildProcess;
  /** The services' pids and ports, from the fleet's state file. */
  services(): Promise<Record<FleetService, ServiceRecord>>;
  /** The lines of a service's own log (the fleet's logs folder), every restart of it included. */
  serviceLog(service: FleetService): Promise<string[]>;
  /** Waits for a console line matching `pattern` (among the lines from index `from` on). */
  line(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Ctrl-C: the fleet stops what it started; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * The real fleet command, `node local-stack/src/fleet.ts up --env <environment> --port-base <n>`,
 * on the test run's stack (OCF_STACK_DIR and the endpoints in the environment), as a person runs
 * it: it starts and supervises the services (FLEET_SERVICES); tests read its console and call its REST API.
 * `env` adds to the command's environment (AGENT_RUNNER=ecs, LOG_LEVEL, ...).
 */
export async function startFleet(options: {
  readonly environment: string;
  readonly portBase: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
}): Promise<RunningFleet> {
  const { environment, portBase } = options;
  const child = spawn(
    process.execPath,
    [
      'local-stack/src/fleet.ts',
      'up',
      '--env',
      environment,
      '--port-base',
      String(portBase),
      ...(options.args ?? []),
    ],
    { cwd: root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (l) => lines.push(l));
  }
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const line = (pattern: RegExp, { from = 0, timeoutMs = 60_000 } = {}) =>
    waitFor(
      `the fleet to print ${String(pattern)}`,
      () => {
        if (child.exitCode !== null)
          throw new Error(`the fleet exited with ${child.exitCode}:\n${lines.join('\n')}`);
        return lines.slice(from).find((l) => pattern.test(l));
      },
      { timeoutMs, intervalMs: 100 },
    );

  try {
    await line(/is up\. API token/, { timeoutMs: options.timeoutMs ?? 180_000 });
  } catch (error) {
    child.kill('SIGINT');
    await exited;
    throw new Error(`the fleet did not come up:\n${lines.join('\n')}`, { cause: error });
  }
  const token = lines
    .find((l) => l.trim().startsWith('TOKEN='))
    ?.trim()
    .slice('TOKEN='.length);
  if (token === undefined) throw new Error(`no token on the fleet's console:\n${lines.join('\n')}`);

  return {
    environment,
    routing: fleetRouting(environment),
    portBase,
    token,
    directory: directoryClient(`http://127.0.0.1:${portBase}`, token),
    console: lines,
    child,
    async serviceLog(service) {
      const file = path.join(fleetStateDir(environment), 'logs', `${service}.log`);
      return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
    },
    async services() {
      const file = path.join(fleetStateDir(environment), 'fleet.json');
      return (JSON.parse(await readFile(file, 'utf8')) as { services: Record<FleetService, ServiceRecord> })
        .services;
    },
    line,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const [code] = await exited;
      return code;
    },
  };
}

/** Where `fleet up` keeps a fleet's state: its pids, token and logs. */
function fleetStateDir(environment: string): string {
  const stateDir = process.env['OCF_STACK_DIR'];
  if (stateDir === undefined) throw new Error('OCF_STACK_DIR names the stack the fleet runs on');
  return path.join(stateDir, 'fleet', environment);
}

/** The fleet's directory folder of local agents, as `fleet up` sets it (LOCAL_AGENTS_DIR). */
export function localAgentsDir(environment: string): string {
  const stateDir = process.env['OCF_STACK_DIR'];
  if (stateDir === undefined) throw new Error('OCF_STACK_DIR names the stack the fleet runs on');
  return path.join(stateDir, 'agents', environment);
}

/** Ports for a fleet under test: OCF_TEST_FLEET_PORT_BASE plus `offset` (a file's own block, one port per service). */
export function testFleetPortBase(offset: number): number {
  return Number(process.env['OCF_TEST_FLEET_PORT_BASE'] ?? '8580') + offset;
}
