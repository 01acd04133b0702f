// Benchmark: how long a person waits for a sleeping agent. The five services on the local stack's
// moto and Synapse, one on-demand agent run by provisioning's local runner with the real OpenClaw
// gateway and the fake model (tests/support/sleep-fleet.ts). Each round puts the agent to sleep
// (the operator's request), mentions it in its team room, and times, from the mention:
//   seen     the bridge saw the message (AgentWakeRequested's seenAt)
//   task     the agent's new task (process) started (task.json startedAt)
//   ready    its gateway is up and logged in to Matrix (the entrypoint's "agent ready" line)
//   reply    its answer reached the homeserver (origin_server_ts)
//
//   source scripts/toolchain.sh && eval "$(pnpm --silent stack env)" && node bench/wake-latency.ts [--wakes 10] [--no-docs]
//
// Prints the figures and rewrites its section of docs/benchmarks.md. Asserts nothing.
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { waitFor } from '../tests/support/aws.ts';
import { answerTo, say, startSleepFleet } from '../tests/support/sleep-fleet.ts';

const { values } = parseArgs({
  options: { wakes: { type: 'string', default: '10' }, 'no-docs': { type: 'boolean', default: false } },
});
const WAKES = Number(values.wakes);
const loadAtStart = os.loadavg().map((l) => l.toFixed(2));

const fleet = await startSleepFleet({ name: 'wakebench', model: () => ({ text: 'Awake and on it.' }) });
const agentId = `wb-${fleet.routing.environment.slice(-6)}`;
const agentUserId = fleet.naming.agentUserId(agentId);
const rounds: { seen: number; task: number; ready: number; reply: number }[] = [];
try {
  await fleet.hire({
    agentId,
    name: `Wake Bench ${agentId.slice(-6)}`,
    title: 'VP of Engineering',
    level: 'vp',
    department: 'Engineering',
    team: 'Bench',
    manager: 'ceo',
    wakePolicy: 'on-demand',
    idleTimeoutSeconds: 3600,
  });
  await fleet.untilStatus(agentId, 'running');
  const { client } = fleet.person;
  const room = await waitFor(
    'the team room',
    () => client.resolveRoom(fleet.naming.alias('engineering.bench-team')),
    {
      timeoutMs: 30_000,
    },
  );
  await client.joinRoom(room);
  // A message sent before the first start's first sync is history to the gateway (ADR 0009).
  await fleet.untilListening(agentId);
  // Warm: the first start's answer, so the agent has spoken and saved its sync position.
  await answerTo(client, room, agentUserId, await say(client, room, 'hello', agentUserId));
  const logFile = join(fleet.agentsDir, agentId, 'stdout.log');

  for (let round = 1; round <= WAKES; round++) {
    const sleep = await fetch(`${fleet.directoryUrl}/v1/agents/${agentId}/sleep`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet.token}` },
    });
    if (sleep.status !== 202) throw new Error(`sleep: ${sleep.status}`);
    await fleet.untilStatus(agentId, 'asleep');
    const logOffset = (await readFile(logFile, 'utf8')).length;
    const wakesBefore = (await fleet.bus.drain()).filter(
      (e) => e['detail-type'] === 'AgentWakeRequested',
    ).length;

    const sentAt = Date.now();
    const mention = await say(client, room, `round ${round}: are you there?`, agentUserId);
    const reply = await answerTo(client, room, agentUserId, mention, 180_000);
    const wake = await waitFor('the wake request', async () => {
      const requests = (await fleet.bus.drain()).filter((e) => e['detail-type'] === 'AgentWakeRequested');
      return requests.length > wakesBefore ? requests.at(-1) : undefined;
    });
    const task = await fleet.task(agentId);
    const log = (await readFile(logFile, 'utf8')).slice(logOffset);
    const readyLine = log.split('\n').find((line) => line.includes('"message":"agent ready"'));
    const readyAt =
      readyLine === undefined ? NaN : Date.parse((JSON.parse(readyLine) as { timestamp: string }).timestamp);
    const result = {
      seen: Date.parse(String(wake.detail.data['seenAt'])) - sentAt,
      task: Date.parse(task?.startedAt ?? '') - sentAt,
      ready: readyAt - sentAt,
      reply: reply.ts - sentAt,
    };
    rounds.push(result);
    process.stderr.write(`[wake-latency] round ${round}: ${JSON.stringify(result)}\n`);
  }
} finally {
  await fleet.stop();
}

const percentile = (values: number[], p: number) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const stages = [
  ['message seen by the fleet (bridge)', 'seen'],
  ['task started', 'task'],
  ['gateway ready (Matrix logged in)', 'ready'],
  ['reply sent', 'reply'],
] as const;
const rows = stages.map(
  ([label, key]) =>
    `| ${label} | ${(
      percentile(
        rounds.map((r) => r[key]),
        50,
      ) / 1000
    ).toFixed(2)} | ${(
      percentile(
        rounds.map((r) => r[key]),
        95,
      ) / 1000
    ).toFixed(2)} |`,
);
const section = [
  '<!-- wake-latency:start -->',
  '',
  `### Wake latency: from a mention of a sleeping agent to its reply (${rounds.length} wakes, real OpenClaw gateway)`,
  '',
  "`node bench/wake-latency.ts`: one on-demand agent on the local stack (provisioning's local runner, the real OpenClaw 2026.9.6 gateway, the fake model answering at once), put to sleep by the operator request and woken by a mention in its team room, each time. Times from the moment the mention was sent, cumulative.",
  '',
  '| stage (time since the mention) | p50 (s) | p95 (s) |',
  '| --- | --- | --- |',
  ...rows,
  '',
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; shared machine, load average at start ${loadAtStart.join(' / ')}. On ECS add the Fargate task start (image pull, ENI) to "task started".`,
  '',
  '<!-- wake-latency:end -->',
].join('\n');
process.stdout.write(`${section}\n`);
if (!values['no-docs']) {
  const file = resolve(import.meta.dirname, '../docs/benchmarks.md');
  const docs = await readFile(file, 'utf8');
  const pattern = /<!-- wake-latency:start -->[\s\S]*<!-- wake-latency:end -->/;
  await writeFile(
    file,
    pattern.test(docs) ? docs.replace(pattern, section) : `${docs.trimEnd()}\n\n${section}\n`,
  );
}
