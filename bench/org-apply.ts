// Benchmark: the org as code on a real directory process on the local emulator: plan and apply
// of a 1,000-agent org file into an empty directory, then plan and apply of a 1% change to it
// (10 entries: 2 hires, 3 moves, 1 promotion, 4 removals, with prune), then the no-op re-apply.
//
//   source scripts/toolchain.sh && pnpm stack up && eval "$(pnpm -s stack env)"
//   node bench/org-apply.ts [--size 1000]
//
// Prints the figures and rewrites the matching table in docs/benchmarks.md. Asserts nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { reorganise, sampleOrgFile } from '../services/directory/src/sample/sample-company.ts';
import { awsClients, uniqueEnvironment } from '../tests/support/aws.ts';
import { runServiceScript, startServiceProcess } from '../tests/support/services.ts';

const { values } = parseArgs({ options: { size: { type: 'string', default: '1000' } } });
const size = Number(values.size);
const clients = awsClients();
const routing = fleetRouting(uniqueEnvironment('bench-org'));
const env = { OCF_ENV: routing.environment };
await applyRouting(routing, clients);
const token = await runServiceScript('directory', 'create-token.ts', ['--name', 'bench'], env);
const directory = await startServiceProcess('directory', env);
const load = loadavg()[0] ?? 0;

interface Answer {
  changes: unknown[];
  applied: { hire: number; update: number; retire: number };
}

async function post(
  route: 'plan' | 'apply',
  org: unknown,
  prune = false,
): Promise<{ ms: number; body: Answer }> {
  const started = performance.now();
  // Apply streams its progress (as `ocf` reads it): the answer starts at once, however long it takes.
  const response = await fetch(`${directory.url}/v1/org/${route}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: route === 'apply' ? 'application/x-ndjson' : 'application/json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ org, prune }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${route}: ${response.status} ${text.slice(0, 500)}`);
  const body = (
    route === 'apply' ? JSON.parse(text.trim().split('\n').at(-1) ?? '{}') : JSON.parse(text)
  ) as Answer;
  const ms = performance.now() - started;
  console.error(`${route}${prune ? ' --prune' : ''}: ${(ms / 1000).toFixed(2)} s`);
  return { ms, body };
}

const org = sampleOrgFile({ seed: 1, size });
const change = reorganise(org, { hires: 2, moves: 3, promotions: 1, removals: 4 });
const planEmpty = await post('plan', org);
const applyAll = await post('apply', org);
const planSame = await post('plan', org, true);
const planChange = await post('plan', change.file, true);
const applyChange = await post('apply', change.file, true);
const applyAgain = await post('apply', change.file, true);
const peakRssMb = peakRss(directory.child.pid);
await directory.stop();

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rows: [string, string][] = [
  [`plan, ${size} people into an empty directory (${planEmpty.body.changes.length} hires)`, s(planEmpty.ms)],
  [
    `apply, ${size} hires`,
    `${s(applyAll.ms)} (${(applyAll.body.applied.hire / (applyAll.ms / 1000)).toFixed(0)} hires/s)`,
  ],
  [`plan, the same file against ${size} agents (no changes)`, s(planSame.ms)],
  [`plan, a 1% change (${planChange.body.changes.length} changes)`, s(planChange.ms)],
  [
    'apply --prune, the 1% change',
    `${s(applyChange.ms)} (${applyChange.body.applied.hire} hired, ${applyChange.body.applied.update} updated, ${applyChange.body.applied.retire} retired)`,
  ],
  ['apply --prune again (no-op)', s(applyAgain.ms)],
  ['directory process peak RSS', peakRssMb === undefined ? 'n/a' : `${peakRssMb.toFixed(0)} MiB`],
];
const table = ['| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
console.log(table);

const docs = resolve(import.meta.dirname, '../docs/benchmarks.md');
const section = `<!-- org-apply:start -->\n${table}\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${process.arch}, Node ${process.version}, 2 cores shared with other work (1-minute load ${load.toFixed(1)} at the start), moto via the local stack, ${size} agents (seed 1).\n<!-- org-apply:end -->`;
const current = readFileSync(docs, 'utf8');
writeFileSync(docs, current.replace(/<!-- org-apply:start -->[\s\S]*<!-- org-apply:end -->/, section));

function peakRss(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
