// The full-cascade benchmark's figures as data, read back from what a run of bench/cascade.ts
// left (its --json file, or its printed tables when that version has no --json), and the
// combined before/after table bench/cascade-compare.ts writes. Pure functions: no processes, no
// files, so the unit tests feed them real outputs of both versions.

import { SERVICE_NAMES } from '@ocf/routing';

/** One step's latency from the hire, over the agents that reached it. */
export interface StepLatency {
  agents: number;
  /** null: no agent reached the step. */
  p50Ms: number | null;
  p99Ms: number | null;
}

/** One process's share of the hire phase. Requests only for the clients the bench proxies. */
export interface ProcessFigures {
  /** directory, credentials, bridge, provisioning, health, model-gateway, moto, Synapse, agents, fleet command, bench */
  name: string;
  cpuMsPerHire: number;
  /** For the agents: the largest single agent's. */
  peakRssMiB: number;
  awsRequestsPerHire?: number;
  homeserverRequestsPerHire?: number;
}

/** One cascade run's hire phase, as bench/cascade.ts reports it. */
export interface CascadeFigures {
  /** Agents in the sample company, all hired at once (N). */
  agents: number;
  /** What the per-hire figures are divided by: N, or the agents hired when the bench stopped waiting. */
  hires: number;
  allRunning: boolean;
  /** From the import's start until all were running, or until the bench stopped waiting. */
  waitedMs: number;
  /** Agents running when it stopped waiting (N when all were running). */
  running: number;
  /** credentials, chat account, launching, running. */
  steps: Record<string, StepLatency>;
  processes: ProcessFigures[];
  /** Synapse's CPU inside its request handlers (its access log's ru=), per hire. */
  synapseHandlerCpuMsPerHire?: number;
  /** Counted at the end by versions that count them; absent from older ones. */
  dlqMessages?: number;
  queuedMessages?: number;
  notRunning?: number;
}

export const STEPS = ['credentials', 'chat account', 'launching', 'running'] as const;
/** The processes in the order the combined table lists them. */
export const PROCESSES = [...SERVICE_NAMES, 'moto', 'Synapse', 'agents', 'fleet command', 'bench'] as const;

// --- what a version of the bench can do -------------------------------------------------------

/** The option names a version of bench/cascade.ts declares to parseArgs. */
export function benchOptions(source: string): Set<string> {
  const block = /parseArgs\(\{\s*options:\s*\{([\s\S]*?)\n\s*\},\n\s*\}\)/.exec(source)?.[1] ?? '';
  return new Set([...block.matchAll(/^\s*'?([a-z][a-z-]*)'?:\s*\{\s*type:/gm)].map((m) => m[1] ?? ''));
}

/**
 * Where a version's agents run when its bench is asked for `requested`: its bench must take
 * --runner, and its fleet command must hand AGENT_RUNNER on (until 94902cd it gave provisioning
 * AGENT_RUNNER=local whatever it was itself given).
 */
export function agentRunner(
  requested: 'ecs' | 'local',
  benchOptionNames: Set<string>,
  fleetSource: string,
): string {
  if (requested === 'local') return 'local stand-in processes';
  if (!benchOptionNames.has('runner')) return 'local stand-in processes (its bench has no --runner)';
  if (!fleetSource.includes("process.env['AGENT_RUNNER']"))
    return 'local stand-in processes (its fleet command ignores AGENT_RUNNER)';
  return 'ECS tasks on the emulator (AGENT_RUNNER=ecs)';
}

// --- reading a run's printed tables ----------------------------------------------------------

/** The cells of each markdown table row in `text` (padding trimmed), header and rule rows included. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => /^\s*\|.*\|\s*$/.test(line))
    .map((line) =>
      line
        .trim()
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
}

/** "12.3 s" in ms; "n/a" (no agent reached the step) as null. */
function seconds(text: string): number | null {
  const match = /^(-?[\d.]+) s$/.exec(text.trim());
  return match === null ? null : Math.round(Number(match[1]) * 1000);
}

function numberIn(text: string, pattern: RegExp, what: string): number {
  const match = pattern.exec(text);
  if (match?.[1] === undefined) throw new Error(`cascade output: no ${what} in "${text}"`);
  return Number(match[1]);
}

/** A process row's first cell as a process name: "agents (28 stand-in processes)" is "agents". */
function processName(label: string): string {
  if (label.startsWith('agents (')) return 'agents';
  if (label.startsWith('fleet command')) return 'fleet command';
  if (label.startsWith('bench (')) return 'bench';
  return label;
}

/**
 * The figures in what bench/cascade.ts printed on stdout: its measure/value table, its process
 * table and its Synapse line. Reads every version since the first (85f46d0): later versions only
 * added rows. Throws on output without the tables (a run that failed before printing them).
 */
export function parseCascadeOutput(stdout: string): CascadeFigures {
  const values = new Map<string, string>();
  const processes: ProcessFigures[] = [];
  for (const cells of tableRows(stdout)) {
    if (cells.every((cell) => /^-+$/.test(cell)) || cells[0] === 'measure' || cells[0] === 'process')
      continue;
    if (cells.length === 2) values.set(cells[0] ?? '', cells[1] ?? '');
    else if (cells.length === 5 && /^[\d.]+$/.test(cells[1] ?? '')) {
      const [label = '', cpu = '', rss = '', aws = '', hs = ''] = cells;
      processes.push({
        name: processName(label),
        cpuMsPerHire: Number(cpu),
        peakRssMiB: numberIn(rss, /^([\d.]+) MiB/, 'peak RSS'),
        ...(aws === '' ? {} : { awsRequestsPerHire: Number(aws) }),
        ...(hs === '' ? {} : { homeserverRequestsPerHire: Number(hs) }),
      });
    }
  }
  const find = (pattern: RegExp) => [...values].find(([measure]) => pattern.test(measure));
  const hired = find(/^agents hired \(org import/);
  if (hired === undefined || processes.length === 0)
    throw new Error('cascade output: no measure table and process table (did the run fail before printing?)');
  const agents = numberIn(hired[1], /^(\d+)/, 'agent count');
  const allRunningRow = find(/^all \d+ running after/);
  const stoppedRow = find(/^NOT all running/);
  const waited = allRunningRow ?? stoppedRow;
  if (waited === undefined) throw new Error('cascade output: no time until all running');
  const allRunning = allRunningRow !== undefined;
  const hiresWhenStopped = find(/^agents hired when it stopped waiting/);
  const steps: Record<string, StepLatency> = {};
  for (const step of STEPS) {
    const row = [...values].find(([measure]) => measure.startsWith(`hire → ${step}: p50 / p99 (`));
    if (row === undefined) continue;
    const [p50 = '', p99 = ''] = row[1].split(' / ');
    steps[step] = {
      agents: numberIn(row[0], /\((\d+) agents?\)/, 'agent count of a step'),
      p50Ms: seconds(p50),
      p99Ms: seconds(p99),
    };
  }
  const leading = (pattern: RegExp) => {
    const row = find(pattern);
    return row === undefined ? undefined : numberIn(row[1], /^(\d+)/, row[0]);
  };
  const synapse = /Synapse CPU inside its request handlers[^:]*: ([\d.]+) ms per hire/.exec(stdout)?.[1];
  const dlqMessages = leading(/^messages in the DLQs at the end/);
  const queuedMessages = leading(/^messages still in the queues at the end/);
  const notRunning = leading(/^agents not running at the end/);
  return {
    agents,
    hires: hiresWhenStopped === undefined ? agents : Number(hiresWhenStopped[1]),
    allRunning,
    waitedMs: numberIn(waited[1], /^([\d.]+) s/, 'wait') * 1000,
    running: allRunning ? agents : numberIn(waited[1], /running (\d+)/, 'running count'),
    steps,
    processes,
    ...(synapse === undefined ? {} : { synapseHandlerCpuMsPerHire: Number(synapse) }),
    ...(dlqMessages === undefined ? {} : { dlqMessages }),
    ...(queuedMessages === undefined ? {} : { queuedMessages }),
    ...(notRunning === undefined ? {} : { notRunning }),
  };
}

/** A --json file's content, checked for the fields the combined table reads. */
export function parseCascadeJson(text: string): CascadeFigures {
  const data = JSON.parse(text) as Partial<CascadeFigures>;
  for (const field of ['agents', 'hires', 'waitedMs', 'running'] as const)
    if (typeof data[field] !== 'number') throw new Error(`cascade --json: ${field} is not a number`);
  if (
    typeof data.allRunning !== 'boolean' ||
    !Array.isArray(data.processes) ||
    typeof data.steps !== 'object'
  )
    throw new Error('cascade --json: allRunning, processes or steps missing');
  return data as CascadeFigures;
}

// --- the combined table ----------------------------------------------------------------------

/** One run of the comparison: its figures, or why there are none. */
export interface CompareRun {
  side: 'before' | 'after';
  agents: number;
  loadAtStart: number[];
  outcome: { figures: CascadeFigures } | { failed: string } | { skipped: string };
}

const NONE = '—';

function fixed(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? NONE : value.toFixed(digits);
}

function secs(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`;
}

function sum(values: (number | undefined)[]): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  return present.length === 0 ? undefined : present.reduce((t, v) => t + v, 0);
}

/**
 * The rows of the combined table: one per measure, one column per run (in the order given).
 * A figure a run's version does not report is "—"; a run without figures says why in its
 * time row and is "—" elsewhere.
 */
export function combinedRows(runs: CompareRun[]): string[][] {
  const figuresOf = (run: CompareRun) => ('figures' in run.outcome ? run.outcome.figures : undefined);
  const row = (measure: string, cell: (f: CascadeFigures, run: CompareRun) => string) => [
    measure,
    ...runs.map((run) => {
      const f = figuresOf(run);
      return f === undefined ? NONE : cell(f, run);
    }),
  ];
  const processOf = (f: CascadeFigures, name: string) => f.processes.find((p) => p.name === name);
  const listed = PROCESSES.filter((name) =>
    runs.some((run) => figuresOf(run)?.processes.some((p) => p.name === name)),
  );
  // The rows of requests are for the clients the bench puts a counting proxy in front of.
  const clients = listed.filter((name) =>
    runs.some((run) =>
      figuresOf(run)?.processes.some((p) => p.name === name && p.awsRequestsPerHire !== undefined),
    ),
  );
  return [
    [
      'load average at the run’s start (1 / 5 / 15 min)',
      ...runs.map((r) => r.loadAtStart.map((l) => l.toFixed(2)).join(' / ')),
    ],
    row('agents hired', (f) => (f.hires === f.agents ? String(f.agents) : `${f.hires} of ${f.agents}`)),
    [
      'time until all running (from the import’s start)',
      ...runs.map((run) => {
        if ('failed' in run.outcome) return `failed: ${run.outcome.failed}`;
        if ('skipped' in run.outcome) return `not run: ${run.outcome.skipped}`;
        const f = run.outcome.figures;
        return f.allRunning
          ? secs(f.waitedMs)
          : `not all running after ${(f.waitedMs / 1000).toFixed(0)} s (${f.running} running)`;
      }),
    ],
    row('hires per second (N / time until all running)', (f) =>
      f.allRunning
        ? (f.agents / (f.waitedMs / 1000)).toFixed(2)
        : `${(f.running / (f.waitedMs / 1000)).toFixed(2)} running/s`,
    ),
    ...STEPS.map((step) =>
      row(`hire → ${step}: p50 / p99`, (f) => {
        const s = f.steps[step];
        return s === undefined ? NONE : `${secs(s.p50Ms)} / ${secs(s.p99Ms)}`;
      }),
    ),
    ...listed.map((name) => row(`CPU ms per hire: ${name}`, (f) => fixed(processOf(f, name)?.cpuMsPerHire))),
    row('Synapse CPU ms per hire inside its request handlers', (f) => fixed(f.synapseHandlerCpuMsPerHire)),
    ...listed.map((name) =>
      row(`peak RSS, MiB: ${name}${name === 'agents' ? ' (largest one)' : ''}`, (f) =>
        fixed(processOf(f, name)?.peakRssMiB, 0),
      ),
    ),
    ...clients.map((name) =>
      row(`AWS API requests per hire: ${name}`, (f) => fixed(processOf(f, name)?.awsRequestsPerHire)),
    ),
    row('AWS API requests per hire: all', (f) => fixed(sum(f.processes.map((p) => p.awsRequestsPerHire)))),
    ...clients.map((name) =>
      row(`homeserver requests per hire: ${name}`, (f) =>
        fixed(processOf(f, name)?.homeserverRequestsPerHire),
      ),
    ),
    row('homeserver requests per hire: all', (f) =>
      fixed(sum(f.processes.map((p) => p.homeserverRequestsPerHire))),
    ),
    row('messages in the DLQs at the end', (f) =>
      f.dlqMessages === undefined ? NONE : String(f.dlqMessages),
    ),
    row('messages still in the queues at the end', (f) =>
      f.queuedMessages === undefined ? NONE : String(f.queuedMessages),
    ),
    row('agents not running at the end', (f) => (f.notRunning === undefined ? NONE : String(f.notRunning))),
  ];
}

/**
 * The combined table in markdown, one column per run: "before N = 100", "after N = 100", ... N is
 * the agents the run hired (the sample company gives a small --agents a few more), else --agents.
 */
export function combinedTable(runs: CompareRun[]): string {
  const header = [
    'measure',
    ...runs.map(
      (run) => `${run.side} N = ${'figures' in run.outcome ? run.outcome.figures.agents : run.agents}`,
    ),
  ];
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...combinedRows(runs).map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

/** `text` between the begin and end markers of `name` in `docs` (added at the end when absent). */
export function replaceSection(docs: string, name: string, text: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const section = `${start}\n\n${text}\n\n${end}`;
  const from = docs.indexOf(start);
  const to = docs.indexOf(end);
  return from >= 0 && to > from
    ? `${docs.slice(0, from)}${section}${docs.slice(to + end.length)}`
    : `${docs.trimEnd()}\n\n${section}\n`;
}
