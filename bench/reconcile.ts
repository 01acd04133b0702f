// Benchmark: provisioning's reconcile loop against the emulator's ECS and EFS, with 1,000 agents
// ready to run: the first pass (every launch, each with its access point and task definition,
// paced by the launch quota), then a pass with nothing to do (the cost of a resync).
//
//   source scripts/toolchain.sh && pnpm stack up && eval "$(pnpm -s stack env)"
//   node bench/reconcile.ts [--agents 1000] [--rate 20] [--burst 100]
//
// Prints the figures and rewrites the matching table in docs/benchmarks.md. Asserts nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applyRouting, fleetRouting } from '@ocf/routing';
import type { Logger } from '../shared/logging/src/index.ts';
import type { EventPublisher } from '../shared/runtime/src/index.ts';
import { createDynamoAgentStateStore } from '../services/provisioning/src/adapters/dynamo-agent-state.ts';
import { createEcsTaskRunner } from '../services/provisioning/src/adapters/ecs-task-runner.ts';
import { createEfsAgentStorage } from '../services/provisioning/src/adapters/efs-agent-storage.ts';
import { createLaunchLimiter } from '../services/provisioning/src/launch-limiter.ts';
import { createReconciler } from '../services/provisioning/src/reconciler.ts';
import { createAgentInfrastructure } from '../services/provisioning/test/support/ecs-fixture.ts';
import { awsClients, uniqueEnvironment } from '../tests/support/aws.ts';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '20' },
    burst: { type: 'string', default: '100' },
  },
});
const agents = Number(values.agents);
const rate = Number(values.rate);
const burst = Number(values.burst);
const clients = awsClients();
const routing = fleetRouting(uniqueEnvironment('bench'));
await applyRouting(routing, clients);
const infra = await createAgentInfrastructure(routing.environment);
const store = createDynamoAgentStateStore(clients.dynamodb, routing.tables.provisioning.name);

// The desired state as the events would leave it: hired, secret issued, chat account ready.
const hiredAt = new Date(Date.now() - 60_000).toISOString();
const ids = Array.from({ length: agents }, (_, i) => `agent-${String(i).padStart(4, '0')}`);
const seedStarted = performance.now();
for (let i = 0; i < ids.length; i += 25) {
  await Promise.all(
    ids.slice(i, i + 25).map(async (agentId) => {
      await store.recordFact(agentId, 'hired', {
        at: hiredAt,
        eventId: `hire-${agentId}`,
        correlationId: `hire-${agentId}`,
      });
      await store.recordFact(agentId, 'credentials', {
        at: hiredAt,
        secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/${routing.environment}/agents/${agentId}-a1B2c3`,
      });
      await store.recordFact(agentId, 'chat', { at: hiredAt, matrixUserId: `@agent-${agentId}:localhost` });
    }),
  );
}
const seedMs = performance.now() - seedStarted;

let published = 0;
const publisher: EventPublisher = {
  publish: (...events) => {
    published += events.length;
    return Promise.resolve();
  },
  emit: () => {
    published++;
    return Promise.resolve(undefined as never);
  },
};
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, with: () => quiet };
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
const reconciler = createReconciler({
  store,
  runner,
  publisher,
  logger: quiet,
  limiter: createLaunchLimiter({ bucket: { capacity: burst, refillPerSecond: rate } }),
  resyncIntervalMs: 60_000,
});

const rssBefore = process.memoryUsage().rss;
const first = await reconciler.runOnce();
const rssAfter = process.memoryUsage().rss;
const idle = await reconciler.runOnce();
const observeStarted = performance.now();
const observed = await runner.observe();
const observeMs = performance.now() - observeStarted;
const byAgent = new Map<string, number>();
for (const task of observed) byAgent.set(task.agentId ?? '', (byAgent.get(task.agentId ?? '') ?? 0) + 1);
const duplicates = [...byAgent.values()].filter((n) => n > 1).length;
infra.destroy();

const paced = Math.max(0, (agents - burst) / rate);
const rows: [string, string][] = [
  ['agents ready to run', String(agents)],
  ['seeding the state table (3 conditional writes per agent)', `${(seedMs / 1000).toFixed(1)} s`],
  [
    `first pass: ${first.launched} launches (each: access point, task definition, RunTask)`,
    `${(first.durationMs / 1000).toFixed(1)} s (the quota alone allows it in ${paced.toFixed(0)} s)`,
  ],
  ['launches per second, first pass', (first.launched / (first.durationMs / 1000)).toFixed(1)],
  ['failed or throttled launches in the first pass', String(first.failed)],
  ['AgentLaunching published', String(published)],
  ['resync pass with nothing to do (Scan + ListTasks + DescribeTasks)', `${idle.durationMs} ms`],
  [
    `observe alone (${observed.length} tasks, ${Math.ceil(observed.length / 100)} DescribeTasks)`,
    `${observeMs.toFixed(0)} ms`,
  ],
  ['agents with more than one task', String(duplicates)],
  ['bench process RSS growth over the first pass', `${((rssAfter - rssBefore) / 2 ** 20).toFixed(0)} MiB`],
];
const width = Math.max(...rows.map(([k]) => k.length), 'measure'.length);
const valueWidth = Math.max(...rows.map(([, v]) => v.length), 'value'.length);
const table = [
  `| ${'measure'.padEnd(width)} | ${'value'.padEnd(valueWidth)} |`,
  `| ${'-'.repeat(width)} | ${'-'.repeat(valueWidth)} |`,
  ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v.padEnd(valueWidth)} |`),
].join('\n');
process.stdout.write(`${table}\n`);

const docs = resolve(import.meta.dirname, '../docs/benchmarks.md');
const section = `<!-- reconcile:start -->\n\n${table}\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${process.arch}, Node ${process.version}, moto via the local stack, ${agents} agents, launch quota ${burst} then ${rate}/s.\n<!-- reconcile:end -->`;
const current = readFileSync(docs, 'utf8');
writeFileSync(
  docs,
  /<!-- reconcile:start -->/.test(current)
    ? current.replace(/<!-- reconcile:start -->[\s\S]*<!-- reconcile:end -->/, section)
    : `${current.trimEnd()}\n\n## Reconcile (\`node bench/reconcile.ts\`)\n\nProvisioning's reconcile loop (services/provisioning/src/reconciler.ts) with the ECS runner and\nper-agent EFS storage on the emulator: 1,000 agents whose secret and chat account are ready,\nlaunched in one pass under Fargate's launch quota, then a resync pass with nothing to do.\n\n${section}\n`,
);
