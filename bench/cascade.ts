// Benchmark: the full hire cascade on the local fleet. N agents hired at once through the public
// interfaces (half by the directory's REST org import, half by raw AgentHired on the bus), then
// followed until every one is running; what each process spent on it, and what it asked of moto
// and Synapse. Then, once every queue is empty (waiting up to --drain-s), an idle phase (nothing
// happening, N agents running): each process's CPU and each service's requests per minute, to
// show what still runs on a timer. At the end, every queue's DLQ and every agent not running.
//
//   source scripts/toolchain.sh && pnpm bench:cascade --agents 100 [--raw-share 0.5] [--runner local|ecs]
//     [--port-base 8680] [--idle-s 120] [--drain-s 1800] [--timeout-s 1200] [--cpu-prof <dir>]
//     [--json <file>] [--no-docs]
//
// It starts its own stack (OCF_STACK_DIR, default .local-stack/bench-cascade; moto, Synapse and
// the bridge's push port at --port-base +10/+11/+12) and `fleet up --env bench` on --port-base,
// and stops both at the end. Between each service and each backend sits a counting HTTP proxy
// of this process (pointed at through AWS_ENDPOINT_URL / MATRIX_HOMESERVER_URL), so requests
// are counted per service; its CPU is this process's and is reported on its own row.
// Agents are the local stand-in processes (provisioning's local runner) by default, so N is
// bounded by local processes. `--runner ecs` starts the fleet with AGENT_RUNNER=ecs in its
// environment, for the fleet command to run agents as ECS tasks on the emulator.
//
// Prints the figures and rewrites its section of docs/benchmarks.md. Asserts nothing. --json
// <file> also writes the hire phase's figures as data (CascadeFigures in
// bench/support/cascade-figures.ts), for bench/cascade-compare.ts.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { fleetRouting, SERVICE_NAMES } from '@ocf/routing';
import { stackDown, stackUp } from '../local-stack/src/index.ts';
import { sampleCompany, type SampleAgent } from '../services/directory/src/sample/sample-company.ts';
import type { CascadeFigures, ProcessFigures } from './support/cascade-figures.ts';
import { printHeaderUsageAndExit } from './support/usage.ts';

const SERVICES = SERVICE_NAMES;
type Service = (typeof SERVICES)[number];
const ENV = 'bench';
const root = resolve(import.meta.dirname, '..');

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '100' },
    'raw-share': { type: 'string', default: '0.5' },
    'port-base': { type: 'string', default: '8680' },
    runner: { type: 'string', default: 'local' },
    // Writes a V8 CPU profile of each service (node --cpu-prof) into this folder when it exits.
    'cpu-prof': { type: 'string' },
    // Stop waiting for all-running this long after the import began.
    'timeout-s': { type: 'string', default: '1200' },
    // How long the idle phase after all-running lasts (0: none).
    'idle-s': { type: 'string', default: '120' },
    // Before the idle phase, wait up to this long for every queue to be empty: work that does not
    // hold up "running" (the bridge's awake notices, repeats of slow hires) can still be queued
    // when the last agent runs, and would be counted as idle cost.
    'drain-s': { type: 'string', default: '1800' },
    // Also write the hire phase's figures as JSON to this file.
    json: { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) printHeaderUsageAndExit(import.meta.filename);
const requested = Number(values.agents);
const rawShare = Number(values['raw-share']);
const portBase = Number(values['port-base']);
const timeoutMs = Number(values['timeout-s']) * 1000;
const idleMs = Number(values['idle-s']) * 1000;
const drainMs = Number(values['drain-s']) * 1000;
const runner = values.runner;
if (
  !(Number.isInteger(requested) && requested >= 10 && requested <= 5000) ||
  !(rawShare >= 0 && rawShare <= 1) ||
  !(idleMs >= 0) ||
  !(drainMs >= 0) ||
  !(runner === 'local' || runner === 'ecs')
) {
  process.stderr.write(
    'usage: node bench/cascade.ts [--agents 10..5000] [--raw-share 0..1] [--runner local|ecs] [--port-base p] [--idle-s s] [--drain-s s] [--no-docs]\n',
  );
  process.exit(2);
}
// The sample company keeps its shape (a VP per department...), so a small one has a few extra.
const company = sampleCompany({ seed: 1, size: requested });
const N = company.length;
const stateDir = resolve(process.env['OCF_STACK_DIR'] ?? join(root, '.local-stack', 'bench-cascade'));
const stackPorts = {
  motoPort: portBase + 10,
  synapsePort: portBase + 11,
  bridgeAppservicePort: portBase + 12,
};
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

// --- counting proxies ------------------------------------------------------------------------

interface Counter {
  total: number;
  byOperation: Map<string, number>;
  /** Items DynamoDB read (ScannedCount) per Scan and Query: what a listing costs as N grows. */
  itemsRead: Map<string, number>;
}
interface Published {
  detailType: string;
  agentId: string | undefined;
  seenAt: number;
}
const published: Published[] = [];
let counting = false;

/** The operation a request names: the JSON protocols' target, a query Action, or a path shape. */
function operationOf(request: http.IncomingMessage, kind: 'aws' | 'matrix'): string {
  const url = request.url ?? '/';
  if (kind === 'matrix') return `${request.method} ${matrixPath(url)}`;
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return target.replace(/^.*\./, '').replace(/^[^_]*_/, '');
  const smithy = /\/operation\/([A-Za-z]+)/.exec(url)?.[1];
  if (smithy !== undefined) return smithy;
  const path = url.split('?')[0] ?? '/';
  return `${request.method} ${path.replace(/\/[^/]*[0-9][^/]*/g, '/{id}')}`;
}

/** A Matrix request's path with ids, aliases and event types as {x}: one row per endpoint. */
function matrixPath(url: string): string {
  return decodeURIComponent(url.split('?')[0] ?? '/')
    .replace(/\/_matrix\/client\/(v3|r0|v1)/, '')
    .replace(/\/_synapse\/admin\/v\d/, '/admin')
    .split('/')
    .map((part) => (/^[!@#$]|^m\.|:/.test(part) || /\d/.test(part) ? '{x}' : part))
    .join('/');
}

/**
 * Synapse's access log gives each request's own CPU (`ru=(user, system)`): summed per endpoint
 * over the log written while measuring, it shows where the homeserver's CPU per hire goes. Work
 * outside request handlers (event persistence, pushes to the bridge) is not in it.
 */
function synapseRequestCpu(
  logFile: string,
  from: number,
  to: number,
): { totalMs: number; byEndpoint: Map<string, { n: number; ms: number }> } {
  const byEndpoint = new Map<string, { n: number; ms: number }>();
  let totalMs = 0;
  let text: string;
  try {
    text = readFileSync(logFile).subarray(from, to).toString('utf8');
  } catch {
    return { totalMs, byEndpoint };
  }
  const line = /Processed request: [\d.]+sec\/[\d.]+sec ru=\(([\d.]+)sec, ([\d.]+)sec\).*?"(\w+) (\S+) HTTP/g;
  for (const match of text.matchAll(line)) {
    const ms = (Number(match[1]) + Number(match[2])) * 1000;
    const key = `${match[3]} ${matrixPath(match[4] ?? '/')}`;
    const entry = byEndpoint.get(key) ?? { n: 0, ms: 0 };
    entry.n++;
    entry.ms += ms;
    byEndpoint.set(key, entry);
    totalMs += ms;
  }
  return { totalMs, byEndpoint };
}

async function countingProxy(
  upstream: string,
  kind: 'aws' | 'matrix',
): Promise<{ url: string; counter: Counter; close: () => void }> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const counter: Counter = { total: 0, byOperation: new Map(), itemsRead: new Map() };
  const server = http.createServer((request, response) => {
    const operation = operationOf(request, kind);
    if (counting) {
      counter.total++;
      counter.byOperation.set(operation, (counter.byOperation.get(operation) ?? 0) + 1);
    }
    const chunks: Buffer[] = [];
    const sniff = kind === 'aws' && operation === 'PutEvents';
    const reads = counting && kind === 'aws' && (operation === 'Scan' || operation === 'Query');
    const forward = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
        agent,
      },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
        if (reads) {
          const answer: Buffer[] = [];
          upstreamResponse.on('data', (chunk: Buffer) => answer.push(chunk));
          upstreamResponse.on('end', () => {
            try {
              const { ScannedCount } = JSON.parse(Buffer.concat(answer).toString('utf8')) as {
                ScannedCount?: number;
              };
              counter.itemsRead.set(operation, (counter.itemsRead.get(operation) ?? 0) + (ScannedCount ?? 0));
            } catch {
              // not JSON (an error page): nothing read
            }
          });
        }
      },
    );
    forward.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    request.on('data', (chunk: Buffer) => {
      if (sniff) chunks.push(chunk);
      forward.write(chunk);
    });
    request.on('end', () => {
      forward.end();
      if (sniff) notePublished(Buffer.concat(chunks).toString('utf8'));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counter,
    close: () => {
      server.closeAllConnections();
      server.close();
      agent.destroy();
    },
  };
}

/** When each service published what: the launching step is only visible on the bus. */
function notePublished(body: string): void {
  const seenAt = Date.now();
  try {
    const { Entries } = JSON.parse(body) as { Entries?: { DetailType?: string; Detail?: string }[] };
    for (const entry of Entries ?? []) {
      const detail = JSON.parse(entry.Detail ?? '{}') as { data?: { agentId?: string } };
      published.push({ detailType: entry.DetailType ?? '?', agentId: detail.data?.agentId, seenAt });
    }
  } catch {
    // not JSON: not a PutEvents body we can read
  }
}

/** POSTs JSON and reads the JSON answer, with no client-side timeout. */
function postJson(url: string, token: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const payload = JSON.stringify(body);
  return new Promise((resolvePost, rejectPost) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${token}`,
        },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolvePost({ status: answer.statusCode ?? 0, body: JSON.parse(text) as unknown });
          } catch {
            resolvePost({ status: answer.statusCode ?? 0, body: { error: text.slice(0, 200) } });
          }
        });
        answer.on('error', rejectPost);
      },
    );
    request.on('error', rejectPost);
    request.end(payload);
  });
}

// --- processes: CPU and peak RSS from /proc -------------------------------------------------

const ticksPerSecond = 100; // USER_HZ on Linux
interface ProcSample {
  cpuMs: number;
  peakRssKb: number;
  members: number;
}

function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' '); // [0] = state (field 3)
  } catch {
    return undefined;
  }
}

/** A process group's CPU (its live members, plus children they already reaped) and peak RSS. */
function sampleGroup(pgid: number): ProcSample {
  let ticks = 0;
  let peakRssKb = 0;
  let members = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields === undefined || Number(fields[2]) !== pgid) continue;
    members++;
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    peakRssKb = Math.max(peakRssKb, vmHwm(Number(entry)));
  }
  return { cpuMs: (ticks * 1000) / ticksPerSecond, peakRssKb, members };
}

function sampleProcess(pid: number): ProcSample {
  const fields = statFields(pid);
  if (fields === undefined) return { cpuMs: 0, peakRssKb: 0, members: 0 };
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return { cpuMs: (ticks * 1000) / ticksPerSecond, peakRssKb: vmHwm(pid), members: 1 };
}

function vmHwm(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

// --- the run ---------------------------------------------------------------------------------

const loadAtStart = os.loadavg();
// A fresh homeserver, moto and fleet each run: accounts left from a previous run would skip work,
// and moto restores its saved state on start (ADR 0015), so the bridge's records of a previous
// run's accounts would point at a homeserver that no longer has them. Only when this stack is
// not running: never pull data away from live processes.
const runDir = join(stateDir, 'run');
const livePidFiles = (() => {
  try {
    return readdirSync(runDir).filter((f) => f.endsWith('.pid'));
  } catch {
    return [];
  }
})();
if (livePidFiles.length === 0) {
  for (const dir of ['synapse', 'moto', join('agents', ENV), join('fleet', ENV)])
    rmSync(join(stateDir, dir), { recursive: true, force: true });
} else say(`the stack in ${stateDir} has pid files (${livePidFiles.join(', ')}): reusing it as it is`);
say(`starting the stack in ${stateDir}`);
const stack = await stackUp({ stateDir, ...stackPorts, onProgress: say });
const info = stack.info;

const names = [...SERVICES, 'agents'] as const;
type Client = (typeof names)[number];
const proxies = {} as Record<
  Client,
  { aws: Awaited<ReturnType<typeof countingProxy>>; hs: Awaited<ReturnType<typeof countingProxy>> }
>;
for (const name of names)
  proxies[name] = {
    aws: await countingProxy(info.awsEndpoint, 'aws'),
    hs: await countingProxy(info.homeserverUrl, 'matrix'),
  };
const serviceEnv = Object.fromEntries(
  SERVICES.map((service) => [
    service,
    {
      AWS_ENDPOINT_URL: proxies[service].aws.url,
      MATRIX_HOMESERVER_URL: proxies[service].hs.url,
      LOG_LEVEL: 'WARN',
      ...(values['cpu-prof'] === undefined
        ? {}
        : {
            NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${resolve(values['cpu-prof'])} --cpu-prof-name=${service}-\${pid}.cpuprofile`,
          }),
      ...(service === 'provisioning'
        ? {
            LOCAL_AGENT_ENV: JSON.stringify({
              AWS_ENDPOINT_URL: proxies.agents.aws.url,
              MATRIX_HOMESERVER_URL: proxies.agents.hs.url,
            }),
          }
        : {}),
    },
  ]),
);
const fleetDir = join(stateDir, 'fleet', ENV);
mkdirSync(fleetDir, { recursive: true });
const serviceEnvFile = join(stateDir, 'bench-service-env.json');
writeFileSync(serviceEnvFile, JSON.stringify(serviceEnv), { mode: 0o600 });

say(`fleet up --env ${ENV} --port-base ${portBase}`);
const fleetLog = createWriteStream(join(stateDir, 'bench-fleet.log'));
const fleet = spawn(
  process.execPath,
  [
    join(root, 'local-stack/src/fleet.ts'),
    'up',
    '--env',
    ENV,
    '--port-base',
    String(portBase),
    '--service-env',
    serviceEnvFile,
    // Hundreds of agents: the stand-in (a real OpenClaw agent needs about 0.8 GB).
    '--agents',
    'stand-in',
  ],
  {
    cwd: root,
    env: {
      ...process.env,
      OCF_STACK_DIR: stateDir,
      OCF_MOTO_PORT: String(stackPorts.motoPort),
      OCF_SYNAPSE_PORT: String(stackPorts.synapsePort),
      OCF_BRIDGE_AS_PORT: String(stackPorts.bridgeAppservicePort),
      // Which task runner the fleet's provisioning uses: local processes, or ECS on the emulator.
      AGENT_RUNNER: runner,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
fleet.stderr.pipe(fleetLog);
let running = 0;
let lastStatus = '';
let onStatus: (() => void) | undefined;
const fleetUp = new Promise<void>((resolveUp, rejectUp) => {
  fleet.on('exit', (code) => {
    rejectUp(new Error(`fleet up exited with ${code}; see ${stateDir}/bench-fleet.log`));
  });
  createInterface({ input: fleet.stdout }).on('line', (line) => {
    fleetLog.write(`${line}\n`);
    if (line.includes('is up')) resolveUp();
    const status = /^\d\d:\d\d:\d\d\s+(\d+ agents?: .*)$/.exec(line)?.[1];
    if (status !== undefined) {
      lastStatus = status;
      running = Number(/running (\d+)/.exec(status)?.[1] ?? 0);
      onStatus?.();
    }
  });
});

let exitCode = 0;
try {
  await fleetUp;
  const fleetState = readJson(join(fleetDir, 'fleet.json')) as { services: Record<Service, { pid: number }> };
  const token = readFileSync(join(fleetDir, 'api-token'), 'utf8').trim();
  const backendPid = (name: string) =>
    (readJson(join(stateDir, 'run', `${name}.pid`)) as { pid: number }).pid;
  const groups: [string, number][] = [
    ...SERVICES.map((s): [string, number] => [s, fleetState.services[s].pid]),
    ['moto', backendPid('moto')],
    ['Synapse', backendPid('synapse')],
  ];
  const directoryUrl = `http://127.0.0.1:${portBase}`;

  // Let the services finish booting (first resyncs, routing look-ups) before measuring.
  await new Promise((r) => setTimeout(r, 5_000));
  const before = new Map(groups.map(([name, pid]) => [name, sampleGroup(pid)]));
  const fleetBefore = sampleProcess(fleet.pid ?? 0);
  const benchBefore = process.cpuUsage();
  const synapseLog = join(stateDir, 'logs', 'homeserver.log');
  const synapseLogFrom = statSync(synapseLog, { throwIfNoEntry: false })?.size ?? 0;
  counting = true;

  // The raw half: individual contributors, whose managers all come in the import.
  const rawWanted = Math.round(N * rawShare);
  const raw: SampleAgent[] = [];
  for (const agent of [...company].reverse())
    if (raw.length < rawWanted && agent.level === 'ic') raw.push(agent);
  const rawIds = new Set(raw.map((a) => a.agentId));
  const imported = company.filter((a) => !rawIds.has(a.agentId));

  say(
    `hiring ${N}: ${imported.length} by org import, ${raw.length} by raw AgentHired (load ${loadAtStart.map((l) => l.toFixed(2)).join(' ')})`,
  );
  const t0 = Date.now();
  // node:http, not fetch: a big import on a loaded machine answers after fetch's 300 s header
  // timeout, and the benchmark must measure it rather than give up.
  const response = await postJson(`${directoryUrl}/v1/org/import`, token, { agents: imported });
  const importResult = response.body as { hired?: number; refused?: unknown[] };
  const importMs = Date.now() - t0;
  say(
    `import: ${response.status}, ${importResult.hired ?? 0} hired, ${importResult.refused?.length ?? 0} refused in ${importMs} ms`,
  );

  const eventBridge = new EventBridgeClient({
    endpoint: info.awsEndpoint,
    region: info.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const busName = fleetRouting(ENV).busName;
  const batches: SampleAgent[][] = [];
  for (let i = 0; i < raw.length; i += 10) batches.push(raw.slice(i, i + 10));
  let failedEntries = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, worker) => {
      for (let b = worker; b < batches.length; b += 4) {
        let entries = (batches[b] ?? []).map((a) => ({
          EventBusName: busName,
          Source: 'bench.hr',
          DetailType: 'AgentHired',
          Detail: JSON.stringify({
            data: {
              agentId: a.agentId,
              name: a.name,
              title: a.title,
              level: a.level,
              department: a.department,
              ...(a.team === undefined ? {} : { team: a.team }),
              managerId: a.manager,
            },
          }),
        }));
        for (let attempt = 0; entries.length > 0 && attempt < 5; attempt++) {
          const result = await eventBridge.send(new PutEventsCommand({ Entries: entries }));
          entries = entries.filter((_, i) => result.Entries?.[i]?.ErrorCode !== undefined);
        }
        failedEntries += entries.length;
      }
    }),
  );
  const publishMs = Date.now() - t0;
  say(`raw AgentHired published (${failedEntries} failed) ${publishMs} ms after the import began`);

  // The fleet command's own status display is the watch (it follows the directory's watch
  // stream). --timeout-s counts from the import's start, so a run ends by a known time.
  const allRunning = await new Promise<boolean>((resolveWait) => {
    const timer = setTimeout(
      () => {
        resolveWait(false);
      },
      Math.max(0, timeoutMs - (Date.now() - t0)),
    );
    onStatus = () => {
      if (running >= N) {
        clearTimeout(timer);
        resolveWait(true);
      }
    };
    onStatus();
    fleet.on('exit', () => {
      resolveWait(false);
    });
  });
  const allMs = Date.now() - t0;
  const benchCpu = process.cpuUsage(benchBefore);
  counting = false;
  const after = new Map(groups.map(([name, pid]) => [name, sampleGroup(pid)]));
  const fleetAfter = sampleProcess(fleet.pid ?? 0);
  const synapseLogTo = statSync(synapseLog, { throwIfNoEntry: false })?.size ?? 0;
  const loadAtAllRunning = os.loadavg();
  say(
    allRunning
      ? `all ${N} running after ${(allMs / 1000).toFixed(1)} s`
      : `stopped waiting after ${(allMs / 1000).toFixed(1)} s: ${lastStatus}`,
  );

  // Each agent's steps, read once at the end.
  const views: {
    agentId: string;
    hiredAt: string;
    status: string;
    steps: { step: string; state: string; at?: string }[];
  }[] = [];
  const ids = company.map((a) => a.agentId);
  await Promise.all(
    Array.from({ length: 8 }, async (_, worker) => {
      for (let i = worker; i < ids.length; i += 8) {
        const r = await fetch(`${directoryUrl}/v1/agents/${ids[i]}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        // Not hired yet: only in a run that stopped waiting (it is then no hire of this run).
        if (r.status === 404 && !allRunning) continue;
        // A read that fails would quietly leave the agent out of every percentile.
        if (!r.ok) throw new Error(`GET /v1/agents/${ids[i]} answered ${r.status}`);
        views.push((await r.json()) as (typeof views)[number]);
      }
    }),
  );
  const launchingAt = new Map<string, number>();
  for (const p of published)
    if (p.detailType === 'AgentLaunching' && p.agentId !== undefined && !launchingAt.has(p.agentId))
      launchingAt.set(p.agentId, p.seenAt);
  const latencies: Record<string, number[]> = {
    credentials: [],
    'chat account': [],
    launching: [],
    running: [],
  };
  for (const view of views) {
    const hired = Date.parse(view.hiredAt);
    const at = (step: string) => {
      const s = view.steps.find((x) => x.step === step && x.state === 'done');
      return s?.at === undefined ? undefined : Date.parse(s.at) - hired;
    };
    const push = (key: string, value: number | undefined) =>
      value !== undefined && latencies[key]?.push(value);
    push('credentials', at('credentials'));
    push('chat account', at('chat-account'));
    const launching = launchingAt.get(view.agentId);
    push('launching', launching === undefined ? undefined : launching - hired);
    push('running', at('task'));
  }

  // The agents themselves (stand-in processes), from their task files.
  const agentsDir = join(stateDir, 'agents', ENV);
  let agentCpuMs = 0;
  let agentPeakKb = 0;
  let agentCount = 0;
  for (const id of ids) {
    try {
      const task = readJson(join(agentsDir, id, 'task.json')) as { pid: number };
      const sample = sampleGroup(task.pid);
      agentCpuMs += sample.cpuMs;
      agentPeakKb = Math.max(agentPeakKb, sample.peakRssKb);
      agentCount++;
    } catch {
      // no task file: not launched
    }
  }

  // --- the table ---------------------------------------------------------------------------
  const pct = (xs: number[], p: number) => {
    if (xs.length === 0) return NaN;
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  };
  const secs = (ms: number) => (Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
  // Per agent hired: all N, or in a run that stopped waiting, those the directory had recorded.
  const hires = views.length;
  const perHire = (x: number) => (x / hires).toFixed(1);
  const summary: [string, string][] = [
    [
      'agents hired (org import / raw AgentHired)',
      `${N} (${imported.length} / ${raw.length}; import refused ${importResult.refused?.length ?? 0}, PutEvents failed ${failedEntries})`,
    ],
    ['load average at start (1/5/15 min)', loadAtStart.map((l) => l.toFixed(2)).join(' / ')],
    ['REST import returned / raw events published', `${secs(importMs)} / ${secs(publishMs)}`],
    [
      allRunning ? `all ${N} running after the import began` : `NOT all running; stopped waiting after`,
      `${secs(allMs)}${allRunning ? '' : ` (${lastStatus})`}`,
    ],
    ...(allRunning
      ? []
      : [
          [`agents hired when it stopped waiting (per-hire figures are per these)`, String(hires)] as [
            string,
            string,
          ],
        ]),
    allRunning
      ? ['hires per second (N / time until all running)', (N / (allMs / 1000)).toFixed(2)]
      : [
          'agents running per second (running when it stopped / time waited)',
          (running / (allMs / 1000)).toFixed(2),
        ],
    ...Object.entries(latencies).map(([step, xs]): [string, string] => [
      `hire → ${step}: p50 / p99 (${xs.length} agents)`,
      `${secs(pct(xs, 50))} / ${secs(pct(xs, 99))}`,
    ]),
  ];
  // Each process's figures as data first (the --json file), then as the table's cells.
  const processFigures: (ProcessFigures & { label: string })[] = groups.map(([name]) => {
    const b = before.get(name);
    const a = after.get(name);
    const client = (SERVICES as readonly string[]).includes(name) ? proxies[name as Service] : undefined;
    return {
      name,
      label: name,
      cpuMsPerHire: ((a?.cpuMs ?? 0) - (b?.cpuMs ?? 0)) / hires,
      peakRssMiB: (a?.peakRssKb ?? 0) / 1024,
      ...(client === undefined
        ? {}
        : {
            awsRequestsPerHire: client.aws.counter.total / hires,
            homeserverRequestsPerHire: client.hs.counter.total / hires,
          }),
    };
  });
  if (runner === 'local')
    processFigures.push({
      name: 'agents',
      label: `agents (${agentCount} stand-in processes)`,
      cpuMsPerHire: agentCpuMs / hires,
      peakRssMiB: agentPeakKb / 1024,
      awsRequestsPerHire: proxies.agents.aws.counter.total / hires,
      homeserverRequestsPerHire: proxies.agents.hs.counter.total / hires,
    });
  processFigures.push(
    {
      name: 'fleet command',
      label: 'fleet command (status display, follows the watch stream)',
      cpuMsPerHire: (fleetAfter.cpuMs - fleetBefore.cpuMs) / hires,
      peakRssMiB: fleetAfter.peakRssKb / 1024,
    },
    {
      name: 'bench',
      label: 'bench (counting proxies, hiring)',
      cpuMsPerHire: (benchCpu.user + benchCpu.system) / 1000 / hires,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    },
  );
  const perProcess = processFigures.map((p) => [
    p.label,
    p.cpuMsPerHire.toFixed(1),
    `${p.peakRssMiB.toFixed(0)} MiB${p.name === 'agents' ? ' each (max)' : ''}`,
    p.awsRequestsPerHire?.toFixed(1) ?? '',
    p.homeserverRequestsPerHire?.toFixed(1) ?? '',
  ]);
  const topOperations = (kind: 'aws' | 'hs') => {
    const all = new Map<string, number>();
    for (const name of names)
      for (const [op, n] of proxies[name][kind].counter.byOperation)
        all.set(`${name}: ${op}`, (all.get(`${name}: ${op}`) ?? 0) + n);
    return [...all]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([op, n]) => `${op} ${perHire(n)}`)
      .join('; ');
  };
  // The hire phase's figures, before the idle phase adds to the counters.
  const topAws = topOperations('aws');
  const topHs = topOperations('hs');
  const synapseCpu = synapseRequestCpu(synapseLog, synapseLogFrom, synapseLogTo);

  const sqs = new SQSClient({
    endpoint: info.awsEndpoint,
    region: info.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const queued = async (name: string) => {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  };
  const backlog = async () => {
    const counts = await Promise.all(
      Object.values(fleetRouting(ENV).queues).map((spec) => queued(spec.name)),
    );
    return counts.reduce((a, b) => a + b, 0);
  };

  // --- drain: all running, the queues still emptying -------------------------------------------
  let drainSpan = '';
  if (allRunning && idleMs > 0) {
    const drainFrom = Date.now();
    let left = await backlog();
    const leftAtAllRunning = left;
    while (left > 0 && Date.now() - drainFrom < drainMs) {
      say(`waiting for the queues to empty before the idle phase: ${left} messages left`);
      await new Promise((r) => setTimeout(r, 10_000));
      left = await backlog();
    }
    drainSpan =
      left === 0
        ? `The queues held ${leftAtAllRunning} messages when all were running and were empty ${((Date.now() - drainFrom) / 1000).toFixed(0)} s later; the idle phase began then.`
        : `The queues held ${leftAtAllRunning} messages when all were running and still ${left} after ${drainMs / 1000} s of waiting; the idle phase began anyway, so its figures include that work.`;
    say(drainSpan);
  }

  // --- idle: N agents running, nothing happening ---------------------------------------------
  // What runs on a timer shows here: CPU per minute of each process, and each service's requests
  // per minute by operation, with the items its Scans and Queries read (a full listing reads N).
  const idleRows: string[][] = [];
  let idleOperations = '';
  let idleReads = '';
  let idleSpan = '';
  if (allRunning && idleMs > 0) {
    say(`idle for ${idleMs / 1000} s`);
    const copy = () =>
      new Map(
        names.map((name) => [
          name,
          {
            aws: new Map(proxies[name].aws.counter.byOperation),
            hs: new Map(proxies[name].hs.counter.byOperation),
            items: new Map(proxies[name].aws.counter.itemsRead),
          },
        ]),
      );
    const countsBefore = copy();
    const cpuBefore = new Map(groups.map(([name, pid]) => [name, sampleGroup(pid).cpuMs]));
    const fleetCpuBefore = sampleProcess(fleet.pid ?? 0).cpuMs;
    const benchCpuBefore = process.cpuUsage();
    const loadAtIdle = os.loadavg();
    const idleFrom = Date.now();
    counting = true;
    await new Promise((r) => setTimeout(r, idleMs));
    counting = false;
    const minutes = (Date.now() - idleFrom) / 60_000;
    const countsAfter = copy();
    const perMinute = (x: number) => (x / minutes).toFixed(1);
    /** What one client asked for while idle, by operation (or items read per operation). */
    const idleCounts = (name: Client, kind: 'aws' | 'hs' | 'items') => {
      const b = countsBefore.get(name)?.[kind];
      return [...(countsAfter.get(name)?.[kind] ?? [])]
        .map(([op, n]): [string, number] => [op, n - (b?.get(op) ?? 0)])
        .filter(([, n]) => n > 0);
    };
    const sum = (entries: [string, number][]) => entries.reduce((t, [, n]) => t + n, 0);
    for (const [name, pid] of groups) {
      const client = (SERVICES as readonly string[]).includes(name) ? (name as Service) : undefined;
      idleRows.push([
        name,
        perMinute(sampleGroup(pid).cpuMs - (cpuBefore.get(name) ?? 0)),
        client === undefined ? '' : perMinute(sum(idleCounts(client, 'aws'))),
        client === undefined ? '' : perMinute(sum(idleCounts(client, 'hs'))),
      ]);
    }
    const benchIdle = process.cpuUsage(benchCpuBefore);
    idleRows.push(
      [
        'fleet command (status display)',
        perMinute(sampleProcess(fleet.pid ?? 0).cpuMs - fleetCpuBefore),
        '',
        '',
      ],
      ['bench (counting proxies)', perMinute((benchIdle.user + benchIdle.system) / 1000), '', ''],
    );
    const listed = (kind: 'aws' | 'hs') =>
      names
        .flatMap((name) => idleCounts(name, kind).map(([op, n]): [string, number] => [`${name}: ${op}`, n]))
        .sort((a, b) => b[1] - a[1])
        .map(([op, n]) => `${op} ${perMinute(n)}`)
        .join('; ') || 'none';
    idleOperations =
      `Requests per minute while idle, AWS APIs: ${listed('aws')}.\n\n` +
      `Requests per minute while idle, homeserver: ${listed('hs')}.`;
    idleReads = names
      .flatMap((name) => {
        const requests = new Map(idleCounts(name, 'aws'));
        return (['Scan', 'Query'] as const)
          .filter((op) => (requests.get(op) ?? 0) > 0)
          .map((op) => {
            const items = new Map(idleCounts(name, 'items')).get(op) ?? 0;
            const n = requests.get(op) ?? 0;
            return `${name}: ${op} ${perMinute(n)} requests reading ${perMinute(items)} items (${(items / n).toFixed(0)} per request)`;
          });
      })
      .join('; ');
    const loadAtEnd = os.loadavg();
    idleSpan =
      `Idle ${(minutes * 60).toFixed(0)} s with all ${N} agents running, from ${((idleFrom - t0) / 1000).toFixed(0)} s after the import began; ` +
      `load average ${loadAtIdle.map((l) => l.toFixed(2)).join(' / ')} at its start, ${loadAtEnd.map((l) => l.toFixed(2)).join(' / ')} at its end.`;
  }

  // --- at the end: every queue's DLQ, and every agent that is not running --------------------
  const queueCounts = await Promise.all(
    Object.values(fleetRouting(ENV).queues).map(async (spec) => ({
      service: spec.service,
      dlq: await queued(spec.deadLetterQueueName),
      backlog: await queued(spec.name),
    })),
  );
  sqs.destroy();
  const statuses = new Map<string, number>();
  for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
    const r = await fetch(
      `${directoryUrl}/v1/agents?limit=200${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    if (!r.ok) throw new Error(`GET /v1/agents answered ${r.status}`);
    const page = (await r.json()) as { items: { status: string }[]; cursor?: string };
    for (const agent of page.items) statuses.set(agent.status, (statuses.get(agent.status) ?? 0) + 1);
    cursor = page.cursor;
  }
  const listedAgents = [...statuses.values()].reduce((t, n) => t + n, 0);
  const stuck = listedAgents - (statuses.get('running') ?? 0);
  const dlqTotal = queueCounts.reduce((t, q) => t + q.dlq, 0);
  const backlogTotal = queueCounts.reduce((t, q) => t + q.backlog, 0);
  summary.push(
    [
      'messages in the DLQs at the end (every queue)',
      `${dlqTotal} (${queueCounts.map((q) => `${q.service} ${q.dlq}`).join(', ')})`,
    ],
    [
      'messages still in the queues at the end',
      `${backlogTotal} (${queueCounts.map((q) => `${q.service} ${q.backlog}`).join(', ')})`,
    ],
    [
      'agents not running at the end ("stuck")',
      `${stuck} of ${listedAgents} listed (${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')})`,
    ],
    [
      'load average when all were running (1/5/15 min)',
      loadAtAllRunning.map((l) => l.toFixed(2)).join(' / '),
    ],
    ['niceness of the bench and everything it started', String(os.getPriority())],
  );
  say(`at the end: ${dlqTotal} messages in DLQs, ${stuck} agents not running`);

  const md = (header: string[], rows: string[][]) =>
    [
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n');
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? process.arch;
  const machine = `${os.cpus().length} cores (${cpuModel}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node ${process.version}`;
  const text = [
    md(['measure', 'value'], summary),
    '',
    md(
      ['process', 'CPU ms per hire', 'peak RSS', 'AWS API requests per hire', 'homeserver requests per hire'],
      perProcess,
    ),
    '',
    `Most requests per hire, AWS APIs: ${topAws}.`,
    '',
    `Most requests per hire, homeserver: ${topHs}.`,
    '',
    (() => {
      const { totalMs, byEndpoint } = synapseCpu;
      const top = [...byEndpoint]
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, 8)
        .map(([endpoint, { n, ms }]) => `${endpoint} ${perHire(ms)} ms (${perHire(n)} requests)`)
        .join('; ');
      return `Synapse CPU inside its request handlers (its access log's ru=): ${perHire(totalMs)} ms per hire; by endpoint, per hire: ${top}.`;
    })(),
    '',
    ...(idleRows.length === 0
      ? ['No idle phase (not all running, or --idle-s 0).', '']
      : [
          md(
            [
              'process, idle',
              'CPU ms per minute',
              'AWS API requests per minute',
              'homeserver requests per minute',
            ],
            idleRows,
          ),
          '',
          idleOperations,
          '',
          `Items read by DynamoDB Scan and Query while idle (ScannedCount), per minute: ${idleReads || 'none'}.`,
          '',
          `${drainSpan} ${idleSpan}`.trim(),
          '',
        ]),
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}; shared machine, load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')}. ` +
      (runner === 'ecs'
        ? `N = ${N}, agents as ECS tasks on the emulator (AGENT_RUNNER=ecs).`
        : `N = ${N}, agents as local stand-in processes (provisioning's local runner).`),
  ].join('\n');
  console.log(text);
  if (values.json !== undefined) {
    const figures: CascadeFigures = {
      agents: N,
      hires,
      allRunning,
      waitedMs: allMs,
      running: allRunning ? N : running,
      steps: Object.fromEntries(
        Object.entries(latencies).map(([step, xs]) => [
          step,
          {
            agents: xs.length,
            p50Ms: xs.length === 0 ? null : pct(xs, 50),
            p99Ms: xs.length === 0 ? null : pct(xs, 99),
          },
        ]),
      ),
      processes: processFigures.map(({ label: _label, ...figures }) => figures),
      synapseHandlerCpuMsPerHire: synapseCpu.totalMs / hires,
      dlqMessages: dlqTotal,
      queuedMessages: backlogTotal,
      notRunning: stuck,
    };
    writeFileSync(resolve(values.json), `${JSON.stringify(figures, null, 2)}\n`);
  }
  const dump = Object.fromEntries(
    names.map((name) => [
      name,
      {
        aws: Object.fromEntries([...proxies[name].aws.counter.byOperation].sort((a, b) => b[1] - a[1])),
        homeserver: Object.fromEntries([...proxies[name].hs.counter.byOperation].sort((a, b) => b[1] - a[1])),
      },
    ]),
  );
  writeFileSync(
    join(stateDir, `bench-requests-${N}.json`),
    `${JSON.stringify({ N, allMs, dump }, null, 2)}\n`,
  );

  if (!values['no-docs']) {
    const docs = join(root, 'docs/benchmarks.md');
    const current = readFileSync(docs, 'utf8');
    const start = `<!-- cascade-${N}:start -->`;
    const end = `<!-- cascade-${N}:end -->`;
    const section = `${start}\n\n### N = ${N}\n\n${text}\n\n${end}`;
    const pattern = new RegExp(`${start}[\\s\\S]*${end}`);
    writeFileSync(
      docs,
      pattern.test(current) ? current.replace(pattern, section) : `${current.trimEnd()}\n\n${section}\n`,
    );
    say(`wrote the N = ${N} table into docs/benchmarks.md`);
  }
  eventBridge.destroy();
} catch (error) {
  say((error as Error).stack ?? String(error));
  exitCode = 1;
} finally {
  counting = false;
  if (fleet.exitCode === null && fleet.signalCode === null) {
    say('stopping the fleet');
    fleet.kill('SIGINT');
    await Promise.race([once(fleet, 'exit'), new Promise((r) => setTimeout(r, 120_000))]);
  }
  if (stack.started.length > 0) {
    say(`stopping ${stack.started.join(' and ')}`);
    await stackDown({ stateDir, ...stackPorts, only: stack.started });
  }
  for (const name of names) {
    proxies[name].aws.close();
    proxies[name].hs.close();
  }
  fleetLog.end();
}
process.exit(exitCode);
