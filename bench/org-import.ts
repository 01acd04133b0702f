// Benchmark: load the 1,000-agent sample company into a real directory process on the local
// emulator, through the REST import, and follow the cascade's first step.
//
//   source scripts/toolchain.sh && pnpm stack up && eval "$(pnpm -s stack env)"
//   node bench/org-import.ts [--size 1000] [--runs 1]
//
// Prints the figures and rewrites the matching table in docs/benchmarks.md. Asserts nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { sampleCompany } from '../services/directory/src/sample/sample-company.ts';
import { awsClients, uniqueEnvironment, waitFor } from '../tests/support/aws.ts';
import { runServiceScript, startServiceProcess } from '../tests/support/services.ts';

const { values } = parseArgs({ options: { size: { type: 'string', default: '1000' } } });
const size = Number(values.size);
const clients = awsClients();
const routing = fleetRouting(uniqueEnvironment('bench'));
const env = { OCF_ENV: routing.environment };
const applied = await applyRouting(routing, clients);
const token = await runServiceScript('directory', 'create-token.ts', ['--name', 'bench'], env);
const directory = await startServiceProcess('directory', env);

const company = sampleCompany({ seed: 1, size });
const started = performance.now();
const response = await fetch(`${directory.url}/v1/org/import`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({ agents: company }),
});
const result = (await response.json()) as { hired: number; refused: unknown[] };
const importMs = performance.now() - started;

// Every hire publishes one AgentHired, routed to the credentials queue (nobody consumes it here).
const queued = await waitFor(
  `${size} AgentHired on the credentials queue`,
  async () => {
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: applied.queues.credentials.url,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    const count = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    return count >= size ? count : undefined;
  },
  { timeoutMs: 300_000, intervalMs: 500 },
);
const cascadeMs = performance.now() - started;
const peakRssMb = peakRss(directory.child.pid);
const cpuMs = cpuTimeMs(directory.child.pid);
await directory.stop();

const rows: [string, string][] = [
  ['agents imported', `${result.hired} (refused ${result.refused.length})`],
  ['REST import, whole company', `${(importMs / 1000).toFixed(1)} s`],
  ['hires per second (validate, conditional write, publish)', (result.hired / (importMs / 1000)).toFixed(0)],
  [`until all ${queued} AgentHired are on the credentials queue`, `${(cascadeMs / 1000).toFixed(1)} s`],
  [
    'directory CPU per hire (whole process, start to last AgentHired)',
    cpuMs === undefined || result.hired === 0 ? 'n/a' : `${(cpuMs / result.hired).toFixed(1)} ms`,
  ],
  ['directory process peak RSS', peakRssMb === undefined ? 'n/a' : `${peakRssMb.toFixed(0)} MiB`],
];
const table = ['| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
console.log(table);

const docs = resolve(import.meta.dirname, '../docs/benchmarks.md');
const section = `<!-- org-import:start -->\n${table}\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${process.arch}, Node ${process.version}, moto via the local stack, ${size} agents (seed 1), import concurrency ${process.env['DIRECTORY_IMPORT_CONCURRENCY'] ?? 'default'}, load average ${loadavg()[0]?.toFixed(2)} at the end.\n<!-- org-import:end -->`;
const current = readFileSync(docs, 'utf8');
writeFileSync(docs, current.replace(/<!-- org-import:start -->[\s\S]*<!-- org-import:end -->/, section));

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

/** User plus system CPU time the process has used so far, from /proc (clock ticks of 10 ms). */
function cpuTimeMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // The command name (field 2) may hold spaces: count fields from after its closing parenthesis.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}
