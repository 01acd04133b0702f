// Benchmark: what sleep saves. A simulated day of an org of N agents (the sample company's levels)
// in which each agent is addressed with probability P per hour, run through the bridge's real
// sleep/wake decision code (services/bridge/src/sleep/decide.ts) on a simulated clock, with
// provisioning modelled as carrying a sleep out in 10 s and a wake in 30 s. Prints agent-hours per
// day for always-on (every agent's task runs 24 h) against on-demand (executives always-on, the
// rest on-demand with the fleet's idle timeout), with and without an awake cap.
//
//   source scripts/toolchain.sh && node bench/agent-hours.ts [--agents 1000] [--rate 0.05] [--idle-minutes 30] [--no-docs]
//
// Prints the figures and rewrites its section of docs/benchmarks.md. Asserts nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  decide,
  phaseOf,
  type ActivityRecord,
  type SleepSettings,
} from '../services/bridge/src/sleep/decide.ts';
import { sampleCompany } from '../services/directory/src/sample/sample-company.ts';

type Level = NonNullable<ActivityRecord['level']>;

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '0.05' },
    'idle-minutes': { type: 'string', default: '30' },
    seed: { type: 'string', default: '42' },
    'no-docs': { type: 'boolean', default: false },
  },
});
const N = Number(values.agents);
const RATE = Number(values.rate);
const IDLE_MINUTES = Number(values['idle-minutes']);
const TICK_MS = 10_000;
const SLEEP_MS = 10_000;
const WAKE_MS = 30_000;
const DAY_MS = 24 * 3600_000;
const START = Date.parse('2026-12-01T00:00:00.000Z');

/** A small deterministic generator (mulberry32): the same trace for every policy compared. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Trace {
  readonly levels: readonly Level[];
  /** Per agent, the times (ms since START) it is addressed. */
  readonly addressed: readonly (readonly number[])[];
}

function trace(): Trace {
  const next = random(Number(values.seed));
  const levels = sampleCompany({ size: N }).map((a) => a.level);
  const addressed = levels.map(() => {
    const times: number[] = [];
    for (let hour = 0; hour < 24; hour++) if (next() < RATE) times.push(hour * 3600_000 + next() * 3600_000);
    return times.sort((a, b) => a - b);
  });
  return { levels, addressed };
}

interface Result {
  readonly label: string;
  readonly agentHours: number;
  readonly peakAwake: number;
  readonly wakes: number;
  readonly waitP95Ms: number;
  readonly decideMsPerPass: number;
}

/** One day through decide(), ticking every 10 s; provisioning carries requests out after a delay. */
function simulate(label: string, t: Trace, settings: SleepSettings | undefined): Result {
  if (settings === undefined) {
    return { label, agentHours: N * 24, peakAwake: N, wakes: 0, waitP95Ms: 0, decideMsPerPass: 0 };
  }
  const iso = (ms: number) => new Date(START + ms).toISOString();
  // A day in the steady state: hired the day before, so on-demand agents start it asleep.
  const records: ActivityRecord[] = t.levels.map((level, i) => ({
    agentId: `a${i}`,
    level,
    hiredAt: iso(-DAY_MS),
    state: {
      value: settings.onDemandLevels.has(level) ? 'asleep' : 'awake',
      at: iso(-DAY_MS + 3600_000),
    },
  }));
  const next = t.addressed.map(() => 0);
  const due: { at: number; index: number; value: 'awake' | 'asleep' }[] = [];
  const waits: number[] = [];
  let awakeMs = 0;
  let peak = 0;
  let wakes = 0;
  let decideMs = 0;
  let passes = 0;
  for (let now = 0; now < DAY_MS; now += TICK_MS) {
    // Provisioning's answers that are due.
    for (let k = due.length - 1; k >= 0; k--) {
      const d = due[k];
      if (d === undefined || d.at > now) continue;
      const r = records[d.index] as ActivityRecord;
      records[d.index] = { ...r, state: { value: d.value, at: iso(d.at) } };
      due.splice(k, 1);
    }
    // Messages this tick: activity, and a waiting wake for an agent that is not awake.
    t.addressed.forEach((times, i) => {
      while ((next[i] ?? 0) < times.length && (times[next[i] ?? 0] ?? Infinity) < now + TICK_MS) {
        const at = times[next[i] ?? 0] ?? now;
        next[i] = (next[i] ?? 0) + 1;
        const r = records[i] as ActivityRecord;
        const phase = phaseOf(r);
        records[i] = {
          ...r,
          lastAddressedAt: iso(at),
          ...(phase !== 'awake' && r.pendingWake === undefined
            ? { pendingWake: { reason: 'mention', seenAt: iso(at) } }
            : {}),
        };
        // An awake agent answers; it speaks a little later.
        if (phase === 'awake') records[i] = { ...records[i], lastSpokeAt: iso(at + 5_000) };
      }
    });
    const started = performance.now();
    const decisions = decide(records, settings, new Date(START + now));
    decideMs += performance.now() - started;
    passes++;
    for (const s of decisions.sleeps) {
      const i = Number(s.agentId.slice(1));
      records[i] = { ...(records[i] as ActivityRecord), sleepRequestedAt: iso(now) };
      due.push({ at: now + SLEEP_MS, index: i, value: 'asleep' });
    }
    for (const w of decisions.wakes) {
      const i = Number(w.agentId.slice(1));
      const { pendingWake: _done, ...rest } = records[i] as ActivityRecord;
      records[i] = { ...rest, wakeRequestedAt: iso(now), lastSpokeAt: iso(now + WAKE_MS + 5_000) };
      due.push({ at: now + WAKE_MS, index: i, value: 'awake' });
      waits.push(now + WAKE_MS - Date.parse(w.wake.seenAt) + START);
      wakes++;
    }
    // Billed: every agent with a task (awake, waking from the moment its task starts, or still
    // on its way to sleep).
    const running = records.filter((r) => {
      const p = phaseOf(r);
      return p === 'awake' || p === 'sleeping' || p === 'waking';
    }).length;
    peak = Math.max(peak, running);
    awakeMs += running * TICK_MS;
  }
  waits.sort((a, b) => a - b);
  return {
    label,
    agentHours: awakeMs / 3600_000,
    peakAwake: peak,
    wakes,
    waitP95Ms: waits[Math.floor(waits.length * 0.95)] ?? 0,
    decideMsPerPass: decideMs / passes,
  };
}

const t = trace();
const base: SleepSettings = {
  idleTimeoutSeconds: IDLE_MINUTES * 60,
  onDemandLevels: new Set<Level>(['vp', 'director', 'manager', 'ic']),
  awakeCap: 0,
};
const executives = t.levels.filter((l) => l === 'executive').length;
const results = [
  simulate('always-on (every agent 24 h)', t, undefined),
  simulate(`on-demand, idle timeout ${IDLE_MINUTES} min, no cap`, t, base),
  simulate(`on-demand, idle timeout ${IDLE_MINUTES} min, awake cap 20`, t, { ...base, awakeCap: 20 }),
  simulate('on-demand, idle timeout 10 min, no cap', t, { ...base, idleTimeoutSeconds: 600 }),
];
const addressings = t.addressed.reduce((n, times) => n + times.length, 0);

const rows = results.map(
  (r) =>
    `| ${r.label} | ${r.agentHours.toFixed(0)} | ${((100 * r.agentHours) / (N * 24)).toFixed(1)} % | ${r.peakAwake} | ${r.wakes} | ${r.waitP95Ms === 0 ? '' : (r.waitP95Ms / 1000).toFixed(0)} | ${r.decideMsPerPass === 0 ? '' : r.decideMsPerPass.toFixed(2)} |`,
);
const load = os.loadavg().map((l) => l.toFixed(2));
const section = [
  `<!-- agent-hours:start -->`,
  '',
  `### Agent-hours per day: always-on against on-demand (N = ${N}, ${(RATE * 100).toFixed(0)} % addressed per hour)`,
  '',
  `\`node bench/agent-hours.ts --agents ${N} --rate ${RATE} --idle-minutes ${IDLE_MINUTES}\`: a simulated day through the bridge's real decision code (\`decide()\`), ticking every 10 s; provisioning modelled as 10 s to carry out a sleep and 30 s to wake. ${addressings} addressings in the day; ${executives} executive(s) always-on, every other level on-demand; a steady-state day (hired the day before, so on-demand agents start it asleep). Billed time counts every agent with a task (awake, waking, or on its way to sleep).`,
  '',
  '| policy | agent-hours / day | of always-on | peak awake | wakes | p95 wait for a wake (s) | decide() per pass (ms) |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
  '',
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; shared machine, load average ${load.join(' / ')}. The simulation itself is CPU-bound in \`decide()\` over all N agents every tick (the bridge runs it on triggers and every 15 s, not every 10 s).`,
  '',
  `<!-- agent-hours:end -->`,
].join('\n');
process.stdout.write(`${section}\n`);

if (!values['no-docs']) {
  const file = resolve(import.meta.dirname, '../docs/benchmarks.md');
  const docs = readFileSync(file, 'utf8');
  const pattern = /<!-- agent-hours:start -->[\s\S]*<!-- agent-hours:end -->/;
  writeFileSync(
    file,
    pattern.test(docs) ? docs.replace(pattern, section) : `${docs.trimEnd()}\n\n${section}\n`,
  );
}
