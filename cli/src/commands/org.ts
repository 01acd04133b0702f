import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { stringify as toYaml } from 'yaml';
import { orgFileFromAgents } from '@ocf/org-file';
import type { Level, WakePolicy } from '@ocf/events';
import {
  ApiError,
  UnreachableError,
  type AgentView,
  type ApplyResultView,
  type OrgPlanView,
  type PlannedChangeView,
} from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { json, progressBar, terminalSafe, type Style } from '../output.ts';
import { CliError, type Context } from '../context.ts';
import { readOrgFile, type ReadOrgFile } from '../org-file-reader.ts';

/**
 * The org as code: export the org as it stands, plan the changes a file asks for, apply them
 * (docs/org-file.schema.json describes the file; ADR 0023 how apply converges and resumes).
 */
export function orgCommands(contextOf: (command: Command) => Context): Command {
  const org = new Command('org').description(
    'The org as code: export, plan and apply an org file (YAML or JSON)',
  );

  org
    .command('export')
    .description('Write the org as it stands (active agents) as an org file')
    .addOption(new Option('--format <format>', 'yaml or json').choices(['yaml', 'json']).default('yaml'))
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (options: { format: 'yaml' | 'json'; output?: string }, command: Command) => {
      const ctx = contextOf(command);
      const client = await ctx.client();
      const agents: AgentView[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.list({ limit: '200', ...(cursor === undefined ? {} : { cursor }) });
        agents.push(...page.items.filter((a) => a.status !== 'retired' && a.status !== 'retiring'));
        cursor = page.cursor;
      } while (cursor !== undefined);
      const file = orgFileFromAgents(
        agents.map((a) => ({
          ...a,
          level: a.level as Level,
          wakePolicy: a.wakePolicy as WakePolicy | undefined,
        })),
      );
      const text =
        options.format === 'json' || ctx.json
          ? json(file)
          : `# yaml-language-server: $schema=https://raw.githubusercontent.com/open-claw-fleet/open-claw-fleet/main/docs/org-file.schema.json\n${toYaml(file, { lineWidth: 0 })}`;
      if (options.output === undefined) {
        // On a terminal nothing is printed raw; into a pipe or a file the text is the data as it is.
        const onTerminal = ctx.io.stdout.isTTY === true;
        ctx.out(onTerminal ? text.split('\n').map(terminalSafe).join('\n') : text);
        return;
      }
      await writeFile(options.output, text);
      ctx.err(
        `wrote ${file.people.length} people in ${file.departments.length} departments to ${options.output}\n`,
      );
    });

  org
    .command('plan')
    .description('Show the changes that would make the org match FILE; nothing is changed')
    .argument('<file>', 'an org file, YAML or JSON')
    .option('--prune', 'also plan to retire active agents the file does not name')
    .action(async (path: string, options: { prune?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const file = await readOrgFile(path);
      const plan = await refusedWithLines(file, async () =>
        (await ctx.client()).plan(file.content, options.prune === true),
      );
      if (ctx.json) {
        ctx.out(json(plan));
        return;
      }
      ctx.out(planText(plan, ctx.style, options.prune === true));
    });

  org
    .command('apply')
    .description('Make the org match FILE: hires, updates and (with --prune) retirements, with progress')
    .argument('<file>', 'an org file, YAML or JSON')
    .option('--prune', 'also retire active agents the file does not name')
    .addHelpText(
      'after',
      '\nApplying the same file again does nothing. If an apply is interrupted (Ctrl-C, a lost connection, a\ncrashed directory), run it again: it does only what is left, and never hires anyone twice.\n',
    )
    .action(async (path: string, options: { prune?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const file = await readOrgFile(path);
      const client = await ctx.client();
      const response = await refusedWithLines(file, () => client.apply(file.content, options.prune === true));
      const bar = progressBar(
        (text) => {
          ctx.err(text);
        },
        ctx.io.stderr.isTTY === true && !ctx.json,
        'applying',
      );
      let result: ApplyResultView | undefined;
      let progress = { done: 0, total: 0 };
      try {
        for await (const line of lines(response)) {
          const message = JSON.parse(line) as { type: string } & Record<string, unknown>;
          if (message.type === 'progress') {
            progress = { done: Number(message['done']), total: Number(message['total']) };
            bar.update(progress.done, progress.total);
          } else if (message.type === 'result') {
            result = message as unknown as ApplyResultView;
          } else if (message.type === 'error') {
            bar.end();
            throw new CliError(String(message['message']), EXIT.failed);
          }
        }
      } catch (error) {
        if (error instanceof CliError) throw error;
        bar.end();
        throw new UnreachableError(`the connection to the directory broke: ${(error as Error).message}`);
      } finally {
        if (result !== undefined) bar.end();
      }
      if (result === undefined) {
        throw new CliError(
          `the apply was interrupted after ${progress.done} of ${progress.total} changes; run the same command again to finish it`,
          EXIT.failed,
        );
      }
      if (ctx.json) ctx.out(json(result));
      else ctx.out(resultText(result, ctx.style));
      if (result.notApplied.length > 0 || result.blocked.length > 0) {
        throw new CliError(
          `${result.notApplied.length + result.blocked.length} change(s) could not be made; see above`,
          EXIT.incomplete,
        );
      }
    });
  return org;
}

/** An invalid org file: every error, each with its line in the file when it has one. */
async function refusedWithLines<T>(file: ReadOrgFile, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ApiError) || error.body?.error !== 'INVALID_ORG') throw error;
    const errors = (error.body.errors ?? []) as { path: string; message: string }[];
    const described = errors.map((e) => {
      const inFile = e.path.replace(/^org\.?/, '');
      const line = e.path.startsWith('org') ? file.lineOf(inFile) : undefined;
      return `${file.file}${line === undefined ? '' : `:${line}`}: ${inFile || e.path}: ${e.message}`;
    });
    throw new CliError(
      `${terminalSafe(error.message)}\n  ${described.map((d) => terminalSafe(d)).join('\n  ')}`,
      EXIT.refused,
    );
  }
}

async function* lines(response: Response): AsyncGenerator<string> {
  if (response.body === null) return;
  let buffered = '';
  for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== '') yield line;
    }
  }
}

/** A plan as people read it: one line per change, marked + hire, ~ update, - retire. */
export function planText(plan: OrgPlanView, s: Style, prune: boolean): string {
  const { summary } = plan;
  const out: string[] = [];
  for (const change of plan.changes) out.push(changeLine(change, s));
  for (const b of plan.blocked)
    out.push(`  ${s.red('!')} ${terminalSafe(b.agentId)}: ${terminalSafe(b.reason)}`);
  const head =
    plan.changes.length === 0
      ? 'No changes: the org matches the file.'
      : `Plan: ${summary.hire} to hire, ${summary.update} to update, ${summary.retire} to retire (${summary.unchanged} unchanged).`;
  const tail =
    !prune && summary.notInFile > 0
      ? [`${summary.notInFile} active agent(s) are not in the file and stay; --prune would retire them.`]
      : [];
  return `${[head, ...out, ...tail].join('\n')}\n`;
}

function changeLine(change: PlannedChangeView, s: Style): string {
  const id = terminalSafe(change.agentId);
  if (change.action === 'hire') {
    const p = change.position ?? {};
    const where = [p['department'], p['team']]
      .filter((v) => v !== undefined && v !== null)
      .map(terminalSafe)
      .join(' / ');
    return `  ${s.green('+ hire')}      ${id}: ${terminalSafe(p['name'])}, ${terminalSafe(p['title'])} (${terminalSafe(p['level'])}, ${where}) -> ${terminalSafe(p['manager'])}`;
  }
  if (change.action === 'retire') return `  ${s.red('- retire')}    ${id}`;
  const kinds = (change.kinds ?? []).join(', ');
  // A field put back to its default is null in `changes`; `previous` names every changed field.
  const fields = [...new Set([...Object.keys(change.previous ?? {}), ...Object.keys(change.changes ?? {})])]
    .map(
      (key) =>
        `${key}: ${terminalSafe(change.previous?.[key] ?? '-')} -> ${terminalSafe(change.changes?.[key] ?? '-')}`,
    )
    .join('; ');
  return `  ${s.yellow(`~ ${kinds}`.padEnd(11))} ${id}: ${fields}`;
}

function resultText(result: ApplyResultView, s: Style): string {
  const { applied } = result;
  const out = [
    `Applied: ${applied.hire} hired, ${applied.update} updated, ${applied.retire} retiring.`,
    ...result.notApplied.map(
      (n) =>
        `  ${s.red('!')} ${terminalSafe(n.action)} ${terminalSafe(n.agentId)}: ${terminalSafe(n.reason)}`,
    ),
    ...result.blocked.map((b) => `  ${s.red('!')} ${terminalSafe(b.agentId)}: ${terminalSafe(b.reason)}`),
  ];
  return `${out.join('\n')}\n`;
}
