import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { AGENT_STATUSES } from '@ocf/events';
import { parse as parseYaml } from 'yaml';
import type { AgentView } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { json, statusColour, statusText, table, terminalSafe, type Column, type Style } from '../output.ts';
import { CliError, type Context } from '../context.ts';

const LEVELS = ['executive', 'vp', 'director', 'manager', 'ic'];
const STATUSES: readonly string[] = AGENT_STATUSES;

type ContextOf = (command: Command) => Context;

/** hire, retire, ls, status, rotate: one agent (or a list of them) at a time. */
export function agentCommands(contextOf: ContextOf): Command[] {
  const hire = new Command('hire')
    .description('Hire an agent: from flags, or from a file (YAML or JSON) holding one hire')
    .option(
      '-f, --file <file>',
      'a hire as YAML or JSON: {agentId, name, title, level, department, team, manager}',
    )
    .option('--id <agentId>', 'the agent id (and chat username); defaults to a slug of the name')
    .option('--name <name>')
    .option('--title <title>')
    .addOption(new Option('--level <level>').choices(LEVELS))
    .option('--department <department>')
    .option('--team <team>')
    .option('--manager <agentId>', 'the manager\'s agent id, or "ceo"')
    .option('--role-template <template>')
    .option('--model <model>')
    .option('--skill <skill...>', 'a skill (repeat for several)')
    .addHelpText(
      'after',
      '\nExample:\n  ocf hire --name "Ada Lovelace" --title "Staff Engineer" --level ic --department Engineering --manager grace-hopper\n',
    )
    .action(async (options: HireOptions, command: Command) => {
      const ctx = contextOf(command);
      const body = await hireBody(options);
      const result = await (await ctx.client()).hire(body);
      if (ctx.json) {
        ctx.out(json(result));
        return;
      }
      const id = terminalSafe(result.agentId);
      ctx.out(
        result.created
          ? `hired ${id} (${statusText(result.status, ctx.style)}); follow it with: ocf status ${id}\n`
          : `${id} is already hired with this position (${statusText(result.status, ctx.style)}); nothing changed\n`,
      );
    });

  const retire = new Command('retire')
    .description('Retire an agent: starts the reverse cascade (retiring a retired agent does nothing)')
    .argument('<agent>', 'the agent id')
    .option('--reason <reason>', 'why, for the record')
    .action(async (agentId: string, options: { reason?: string }, command: Command) => {
      const ctx = contextOf(command);
      const agent = await (await ctx.client()).retire(agentId, options.reason);
      if (ctx.json) {
        ctx.out(json(agent));
        return;
      }
      ctx.out(`${terminalSafe(agent.agentId)}: ${statusText(agent.status, ctx.style)}\n`);
    });

  const rotate = new Command('rotate')
    .description("Rotate an agent's chat credential")
    .argument('<agent>', 'the agent id')
    .option('--reason <reason>', 'why, for the record')
    .action(async (agentId: string, options: { reason?: string }, command: Command) => {
      const ctx = contextOf(command);
      const result = await (await ctx.client()).rotate(agentId, options.reason);
      if (ctx.json) {
        ctx.out(json(result));
        return;
      }
      ctx.out(`${terminalSafe(result.agentId)}: credential rotation ${terminalSafe(result.rotation)}\n`);
    });

  const ls = new Command('ls')
    .alias('list')
    .description('List agents; filters combine (--team needs --department)')
    .option('--department <department>')
    .option('--team <team>')
    .addOption(new Option('--level <level>').choices(LEVELS))
    .addOption(new Option('--status <status>').choices([...STATUSES]))
    .option('--manager <agentId>', 'the direct reports of this agent (or "ceo")')
    .option('--limit <n>', 'at most this many agents (default: all)', positiveInteger)
    .action(async (options: ListOptions, command: Command) => {
      const ctx = contextOf(command);
      const client = await ctx.client();
      const { limit, ...filters } = options;
      const agents: AgentView[] = [];
      let cursor: string | undefined;
      do {
        const query: Record<string, string> = {
          ...(filters as Record<string, string>),
          limit: String(Math.min(200, limit === undefined ? 200 : limit - agents.length)),
          ...(cursor === undefined ? {} : { cursor }),
        };
        const page = await client.list(query);
        agents.push(...page.items);
        cursor = page.cursor;
      } while (cursor !== undefined && (limit === undefined || agents.length < limit));
      if (ctx.json) {
        ctx.out(json(agents));
        return;
      }
      ctx.out(agentTable(agents, ctx.style));
    });

  const status = new Command('status')
    .description('One agent: its position, its status and every step of its cascade, with times')
    .argument('<agent>', 'the agent id')
    .action(async (agentId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const agent = await (await ctx.client()).agent(agentId);
      if (ctx.json) {
        ctx.out(json(agent));
        return;
      }
      ctx.out(statusView(agent, ctx.style));
    });

  return [hire, retire, ls, status, rotate];
}

interface HireOptions {
  file?: string;
  id?: string;
  name?: string;
  title?: string;
  level?: string;
  department?: string;
  team?: string;
  manager?: string;
  roleTemplate?: string;
  model?: string;
  skill?: string[];
}

interface ListOptions {
  department?: string;
  team?: string;
  level?: string;
  status?: string;
  manager?: string;
  limit?: number;
}

/** The hire body from a file or from flags (not both: which would win is not obvious). */
export async function hireBody(options: HireOptions): Promise<Record<string, unknown>> {
  const { file, skill, id, roleTemplate, ...rest } = options;
  const fromFlags: Record<string, unknown> = Object.fromEntries(
    Object.entries({ ...rest, agentId: id, roleTemplate, skills: skill }).filter(([, v]) => v !== undefined),
  );
  if (file !== undefined) {
    if (Object.keys(fromFlags).length > 0)
      throw new CliError('give the hire as a --file or as flags, not both', EXIT.usage);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
    }
    let body: unknown;
    try {
      body = parseYaml(text);
    } catch (error) {
      throw new CliError(`${file} is neither YAML nor JSON: ${(error as Error).message}`, EXIT.refused);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new CliError(`${file} must hold one hire (an object with name, title, level, ...)`, EXIT.refused);
    return body as Record<string, unknown>;
  }
  const missing = ['name', 'title', 'level', 'department', 'manager'].filter(
    (key) => fromFlags[key] === undefined,
  );
  if (missing.length > 0)
    throw new CliError(`a hire needs ${missing.map((key) => `--${key}`).join(', ')} (or --file)`, EXIT.usage);
  return fromFlags;
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`"${value}" is not a positive whole number`, EXIT.usage);
  return n;
}

const AGENT_COLUMNS: Column<AgentView>[] = [
  { header: 'ID', value: (a) => a.agentId },
  { header: 'NAME', value: (a) => a.name },
  { header: 'TITLE', value: (a) => a.title },
  { header: 'LEVEL', value: (a) => a.level },
  { header: 'DEPARTMENT', value: (a) => a.department },
  { header: 'TEAM', value: (a) => a.team },
  { header: 'MANAGER', value: (a) => a.manager },
  { header: 'STATUS', value: (a) => a.status },
];

export function agentTable(agents: readonly AgentView[], s: Style): string {
  if (agents.length === 0) return 'no agents\n';
  const columns = AGENT_COLUMNS.map((column) =>
    column.header === 'STATUS'
      ? { ...column, colour: (text: string, a: AgentView) => statusColour(a.status, s)(text) }
      : column,
  );
  return table(agents, columns, s);
}

/** One agent in full: who it is, how it is, and each cascade step with when it happened. */
export function statusView(agent: AgentView, s: Style): string {
  const safe = terminalSafe;
  const lines = [
    `${s.bold(safe(agent.agentId))}  ${safe(agent.name)}, ${safe(agent.title)}`,
    `  level       ${safe(agent.level)}`,
    `  department  ${safe(agent.department)}${agent.team === undefined ? '' : ` / ${safe(agent.team)}`}`,
    `  manager     ${safe(agent.manager)}`,
    `  status      ${statusText(agent.status, s)}`,
    `  hired       ${safe(agent.hiredAt)}`,
    `  updated     ${safe(agent.updatedAt)}`,
    ...(agent.retiredAt === undefined ? [] : [`  retired     ${safe(agent.retiredAt)}`]),
    `  wake        ${agent.wakePolicy === undefined ? "the fleet's default" : safe(agent.wakePolicy)}${agent.idleTimeoutSeconds === undefined ? '' : `, asleep after ${agent.idleTimeoutSeconds}s idle`}${agent.wakes === undefined || agent.wakes.count === 0 ? '' : `; woken ${agent.wakes.count}x`}`,
    ...(agent.lastActiveAt === undefined ? [] : [`  active      last at ${safe(agent.lastActiveAt)}`]),
    ...(agent.restarts === undefined || agent.restarts.count === 0
      ? []
      : [
          `  restarts    ${agent.restarts.count}${agent.restarts.lastAt === undefined ? '' : `, last at ${safe(agent.restarts.lastAt)}`}${agent.restarts.lastReason === undefined ? '' : ` (${safe(agent.restarts.lastReason)})`}`,
        ]),
    ...(agent.modelSpend === undefined
      ? []
      : [
          `  budget      ${agent.monthlyBudgetUsd === undefined ? 'none of its own' : `${agent.monthlyBudgetUsd.toFixed(2)} USD a month`}, spent ${agent.modelSpend.costUsd.toFixed(2)} USD (${safe(agent.modelSpend.budget)})`,
        ]),
    ...(agent.health === undefined
      ? []
      : [
          `  health      ${safe(agent.health.state)} at ${safe(agent.health.at)}${agent.health.detail === undefined ? '' : ` (${safe(agent.health.detail)})`}`,
        ]),
    '',
  ];
  const steps = agent.steps ?? [];
  return `${lines.join('\n')}\n${table(
    steps,
    [
      { header: 'PHASE', value: (step) => step.phase },
      { header: 'STEP', value: (step) => step.step },
      {
        header: 'STATE',
        value: (step) => step.state,
        colour: (text, step) =>
          step.state === 'done' ? s.green(text) : step.state === 'failed' ? s.red(text) : s.yellow(text),
      },
      { header: 'AT', value: (step) => step.at ?? '-' },
      { header: 'DETAIL', value: (step) => step.error ?? step.detail },
    ],
    s,
  )}`;
}
