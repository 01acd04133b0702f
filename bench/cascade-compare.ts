// Benchmark: the full cascade before and after, on the same machine in the same run. Checks a
// "before" commit out into a temporary git worktree, installs it, and runs that commit's own
// bench/cascade.ts and then this checkout's, at each size in turn (before N = 100, after N = 100,
// before N = 300, ...), so a change in the machine's load falls on both alike. One combined table:
// a row per measure, a column per run; a figure one version does not report is "—".
//
//   source scripts/toolchain.sh && pnpm bench:cascade-compare [--before <commit>] [--agents 100,300,1000]
//     [--runner ecs|local] [--port-base 8680] [--idle-s 0] [--timeout-s 1200] [--no-docs]
//
// The default "before" is 0e676fe, the last commit before issue 17's first change (the agents'
// Matrix tokens minted by the application service, ADR 0020, in 4c020f3), and the "before" of the
// ADR 0020 comparison in docs/benchmarks.md. No commit before that change can run agents on the
// ECS runner: the first bench with --runner (547af93) already has ADR 0020, and its fleet command
// still gave provisioning AGENT_RUNNER=local, so it ran local stand-ins too; the fleet command
// that honours AGENT_RUNNER (94902cd) first meets that bench in 5871150, after more of issue 17.
// So the before side's agents are local stand-in processes (~30 MiB of memory each), and its run
// at a size whose stand-ins would not fit in the memory available is not run, and says so.
// --runner applies to every run whose bench has it and whose fleet command honours AGENT_RUNNER;
// the header says which runner each side used.
// --timeout-s is each run's wait for all-running; a run that stops waiting is a result ("not all
// running after X s (k running)"), not an error. Options a version lacks (the first benches have
// no --idle-s) are left out of its command line.
//
// Each run has its own stack folder, ${OCF_STACK_DIR:-.local-stack/bench-cascade}-compare/<side>-<N>,
// where its stdout, stderr and (if it has --json) figures are kept; all runs use --port-base and
// the three ports after +10. The worktree is removed at the end, also after a failure or Ctrl-C
// (which stops the running bench's fleet and stack first).
//
// Prints the combined table and rewrites its section of docs/benchmarks.md (cascade-compare
// markers) unless --no-docs. Asserts nothing.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  agentRunner,
  benchOptions,
  combinedTable,
  parseCascadeJson,
  parseCascadeOutput,
  replaceSection,
  type CompareRun,
} from './support/cascade-figures.ts';
import { printHeaderUsageAndExit } from './support/usage.ts';

const root = resolve(import.meta.dirname, '..');
const DEFAULT_BEFORE = '0e676fe';
/**
 * A local stand-in agent's own share of memory: PSS 29–30 MiB each, measured at 0e676fe (RSS
 * 77–83 MiB, the rest shared with the other Node processes).
 */
const STAND_IN_MIB = 30;
/** Preloaded into each bench process: no 300 s limit on an answer (the before's org import). */
const FETCH_WITHOUT_TIMEOUTS = join(root, 'bench', 'support', 'fetch-without-timeouts.ts');

const { values } = parseArgs({
  options: {
    before: { type: 'string', default: DEFAULT_BEFORE },
    agents: { type: 'string', default: '100' },
    runner: { type: 'string', default: 'ecs' },
    'port-base': { type: 'string', default: '8680' },
    'idle-s': { type: 'string', default: '0' },
    'timeout-s': { type: 'string', default: '1200' },
    'no-docs': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) printHeaderUsageAndExit(import.meta.filename);
const sizes = values.agents.split(',').map((s) => Number(s.trim()));
if (
  sizes.some((n) => !(Number.isInteger(n) && n >= 10 && n <= 5000)) ||
  !(values.runner === 'ecs' || values.runner === 'local') ||
  !(Number(values['idle-s']) >= 0) ||
  !(Number(values['timeout-s']) > 0) ||
  !Number.isInteger(Number(values['port-base']))
) {
  process.stderr.write(
    'usage: node bench/cascade-compare.ts [--before <commit>] [--agents 100,300] [--runner ecs|local] [--port-base p] [--idle-s s] [--timeout-s s] [--no-docs]\n',
  );
  process.exit(2);
}
const runner = values.runner;
const say = (line: string) => process.stderr.write(`compare: ${line}\n`);
const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();

// --- what each side is -------------------------------------------------------------------------

interface Side {
  name: 'before' | 'after';
  commit: string;
  /** Short hash, date and subject, and for the checkout whether it has uncommitted changes. */
  description: string;
  /** Where its bench runs: the temporary worktree, or this checkout. */
  dir: string;
  /** The bench's options, from its parseArgs block. */
  options: Set<string>;
  /** The runner its agents actually run on, and why if not the one asked for. */
  runner: string;
}

/** Short hash, commit time and subject (cut short: some subjects are paragraphs). */
function describe(commit: string): string {
  const line = git('show', '-s', '--format=%h (%cd) %s', '--date=format:%Y-%m-%d %H:%M', commit);
  return line.length > 110 ? `${line.slice(0, 109)}…` : line;
}

/** The runner a commit's agents end up on, from its bench's and fleet command's sources. */
function runnerAt(commit: string | undefined, options: Set<string>): string {
  const fleet =
    commit === undefined
      ? readFileSync(join(root, 'local-stack/src/fleet.ts'), 'utf8')
      : git('show', `${commit}:local-stack/src/fleet.ts`);
  return agentRunner(runner, options, fleet);
}

const beforeCommit = git('rev-parse', '--verify', `${values.before}^{commit}`);
const headCommit = git('rev-parse', 'HEAD');
const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
const afterOptions = benchOptions(readFileSync(join(root, 'bench/cascade.ts'), 'utf8'));
const beforeOptions = benchOptions(git('show', `${beforeCommit}:bench/cascade.ts`));
const worktreeParent = mkdtempSync(join(os.tmpdir(), 'cascade-compare-'));
const sides: Record<'before' | 'after', Side> = {
  before: {
    name: 'before',
    commit: beforeCommit,
    description: describe(beforeCommit),
    dir: join(worktreeParent, 'before'),
    options: beforeOptions,
    runner: runnerAt(beforeCommit, beforeOptions),
  },
  after: {
    name: 'after',
    commit: headCommit,
    description: `${describe(headCommit)}${dirty ? ', with uncommitted changes' : ''}`,
    dir: root,
    options: afterOptions,
    runner: runnerAt(undefined, afterOptions),
  },
};
say(`before: ${sides.before.description}; agents as ${sides.before.runner}`);
say(`after: ${sides.after.description}; agents as ${sides.after.runner}`);

// --- the worktree, and leaving nothing behind ------------------------------------------------

let current: { child: ChildProcess; side: Side; stackDir: string } | undefined;
let worktreeAdded = false;

function removeWorktree(): void {
  if (worktreeAdded) {
    try {
      git('worktree', 'remove', '--force', sides.before.dir);
    } catch (error) {
      say(`could not remove the worktree ${sides.before.dir}: ${(error as Error).message}`);
    }
    worktreeAdded = false;
  }
  rmSync(worktreeParent, { recursive: true, force: true });
  try {
    git('worktree', 'prune');
  } catch {
    // nothing to prune
  }
}

/** After an interrupted run: its fleet and stack, stopped by its own version's commands. */
function stopLeftovers(side: Side, stackDir: string, env: NodeJS.ProcessEnv): void {
  for (const args of [
    ['local-stack/src/fleet.ts', 'down', '--env', 'bench'],
    ['local-stack/src/cli.ts', 'down'],
  ]) {
    try {
      execFileSync(process.execPath, args, {
        cwd: side.dir,
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 180_000,
      });
    } catch (error) {
      say(`${args.slice(0, 2).join(' ')} in ${stackDir}: ${(error as Error).message}`);
    }
  }
}

/** Set by SIGINT or SIGTERM: the runs stop, and the handler cleans up and exits. */
const stop = { requested: false };
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (stop.requested) return;
    stop.requested = true;
    say(`${signal}: stopping`);
    void (async () => {
      if (current !== undefined) {
        const { child, side, stackDir } = current;
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          // The bench and the fleet command it started share its process group.
          process.kill(-child.pid, 'SIGINT');
          await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 120_000))]);
        }
        stopLeftovers(side, stackDir, runEnv(stackDir));
      }
      removeWorktree();
      process.exit(130);
    })();
  });

// --- one run ----------------------------------------------------------------------------------

const portBase = Number(values['port-base']);
const resultsBase = `${resolve(process.env['OCF_STACK_DIR'] ?? join(root, '.local-stack', 'bench-cascade'))}-compare`;

function runEnv(stackDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // The toolchain this process runs on, for the worktree too (same Node and pnpm pins).
    PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
    OCF_STACK_DIR: stackDir,
    OCF_MOTO_PORT: String(portBase + 10),
    OCF_SYNAPSE_PORT: String(portBase + 11),
    OCF_BRIDGE_AS_PORT: String(portBase + 12),
  };
}

/**
 * MiB of memory available now, for the local runner's guard: MemAvailable plus free swap, since
 * the kernel can page out stand-ins that are not being touched. Enough to start them is not enough
 * to run them well: the before side's N = 1,000 passed this guard with a 24 GiB swap file on a 24
 * GiB machine, and paged-out stand-ins then answered health checks too late and were restarted
 * (docs/benchmarks.md, "Issue 17 before and after, in one run").
 */
function availableMiB(): number {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const mib = (field: string) => {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(meminfo)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  };
  return (mib('MemAvailable') ?? os.freemem() / 2 ** 20) + (mib('SwapFree') ?? 0);
}

async function runBench(side: Side, agents: number): Promise<CompareRun> {
  const loadAtStart = os.loadavg();
  const stackDir = join(resultsBase, `${side.name}-${agents}`);
  rmSync(stackDir, { recursive: true, force: true });
  mkdirSync(stackDir, { recursive: true });
  if (side.runner.startsWith('local stand-in') && agents * STAND_IN_MIB > availableMiB()) {
    const skipped = `${agents} local stand-ins need ~${((agents * STAND_IN_MIB) / 1024).toFixed(0)} GiB, ${(availableMiB() / 1024).toFixed(0)} GiB available`;
    say(`${side.name} N = ${agents}: not run (${skipped})`);
    return { side: side.name, agents, loadAtStart, outcome: { skipped } };
  }
  const jsonFile = join(stackDir, 'figures.json');
  const args = ['bench/cascade.ts', '--agents', String(agents), '--port-base', String(portBase), '--no-docs'];
  const optional: [string, string][] = [
    ['runner', runner],
    ['idle-s', values['idle-s']],
    ['timeout-s', values['timeout-s']],
    ['json', jsonFile],
  ];
  for (const [option, value] of optional) if (side.options.has(option)) args.push(`--${option}`, value);
  say(
    `${side.name} N = ${agents}: node ${args.join(' ')} (load ${loadAtStart.map((l) => l.toFixed(2)).join(' ')})`,
  );
  const startedAt = Date.now();
  // Both sides' bench processes wait for answers however long they take (see the preload).
  const child = spawn(process.execPath, ['--import', FETCH_WITHOUT_TIMEOUTS, ...args], {
    cwd: side.dir,
    env: runEnv(stackDir),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  current = { child, side, stackDir };
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk.toString('utf8')));
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    process.stderr.write(`[${side.name} ${agents}] ${line}\n`);
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  current = undefined;
  const out = stdout.join('');
  writeFileSync(join(stackDir, 'compare-stdout.txt'), out);
  writeFileSync(join(stackDir, 'compare-stderr.txt'), `${stderr.join('\n')}\n`);
  say(
    `${side.name} N = ${agents}: exited ${code ?? signal} after ${((Date.now() - startedAt) / 1000).toFixed(0)} s`,
  );
  try {
    const figures = existsSync(jsonFile)
      ? parseCascadeJson(readFileSync(jsonFile, 'utf8'))
      : parseCascadeOutput(out);
    return { side: side.name, agents, loadAtStart, outcome: { figures } };
  } catch (error) {
    // The bench's last words say why (it prints its error's stack on stderr).
    const reason =
      stderr.findLast((line) => /^bench: .*(error|Error|exited)/.test(line))?.replace(/^bench: /, '') ??
      (error as Error).message;
    return {
      side: side.name,
      agents,
      loadAtStart,
      outcome: { failed: `${reason.replace(/\|/g, '/').slice(0, 160)} (exit ${code ?? signal})` },
    };
  }
}

// --- the comparison ---------------------------------------------------------------------------

const startedAt = new Date();
const runs: CompareRun[] = [];
let exitCode = 0;
try {
  say(`checking ${sides.before.description} out into ${sides.before.dir}`);
  git('worktree', 'add', '--detach', sides.before.dir, beforeCommit);
  worktreeAdded = true;
  const toolchain = readFileSync(join(sides.before.dir, 'scripts/toolchain.sh'), 'utf8');
  const pinned = /OCF_NODE_VERSION="([\d.]+)"/.exec(toolchain)?.[1];
  if (pinned !== undefined && `v${pinned}` !== process.version)
    say(`the before commit pins Node ${pinned}; running it on ${process.version}, this checkout's`);
  say('pnpm install --frozen-lockfile --offline in the worktree');
  execFileSync('pnpm', ['install', '--frozen-lockfile', '--offline'], {
    cwd: sides.before.dir,
    env: runEnv(join(resultsBase, 'install')),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const agents of sizes)
    for (const side of [sides.before, sides.after]) {
      if (stop.requested) break;
      runs.push(await runBench(side, agents));
    }
} catch (error) {
  say((error as Error).stack ?? String(error));
  exitCode = 1;
} finally {
  if (!stop.requested) removeWorktree();
}
if (stop.requested) await new Promise(() => {}); // the signal handler exits

if (runs.length > 0) {
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? process.arch;
  const minute = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
  const text = [
    `Before: \`${sides.before.description}\`; agents as ${sides.before.runner}.`,
    '',
    `After: \`${sides.after.description}\`; agents as ${sides.after.runner}.`,
    '',
    `Machine: ${os.cpus().length} cores (${cpuModel}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node ${process.version}; ` +
      `shared, niceness ${os.getPriority()}. Run ${minute(startedAt)}–${minute(new Date()).slice(11)} UTC, in the columns' order, ` +
      `each with --port-base ${portBase}, --timeout-s ${values['timeout-s']} and --idle-s ${values['idle-s']} where its version has them. ` +
      'The load average at each run’s start is the first row.',
    '',
    combinedTable(runs),
  ].join('\n');
  console.log(text);
  if (!values['no-docs']) {
    const docs = join(root, 'docs/benchmarks.md');
    writeFileSync(docs, replaceSection(readFileSync(docs, 'utf8'), 'cascade-compare', text));
    say('wrote the comparison into docs/benchmarks.md');
  }
}
process.exit(exitCode);
