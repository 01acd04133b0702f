import { Command } from 'commander';
import type { AgentView } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { json, terminalSafe, type Style } from '../output.ts';
import { CliError, type Context } from '../context.ts';

type ContextOf = (command: Command) => Context;

/**
 * sleep, wake (ADR 0019) and budget (ADR 0017), through the directory's REST API: the directory
 * owns each agent's budget and wake settings, and the model gateway and provisioning learn of a
 * change from AgentUpdated, so the CLI never talks to the gateway itself.
 */
export function sleepBudgetCommands(contextOf: ContextOf): Command[] {
  const lifecycle = (action: 'sleep' | 'wake') =>
    new Command(action)
      .description(
        action === 'sleep'
          ? 'Put an agent to sleep now: its task stops on purpose; storage, chat account, rooms and secret stay (a mention or direct message wakes it)'
          : 'Wake a sleeping agent now: its task starts again and it answers what it was sent while asleep',
      )
      .argument('<agent>', 'the agent id')
      .addHelpText(
        'after',
        `\nThe directory accepts the request and provisioning carries it out; follow it with: ocf status <agent>\n`,
      )
      .action(async (agentId: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const result = await (await ctx.client()).sleepOrWake(agentId, action);
        if (ctx.json) {
          ctx.out(json(result));
          return;
        }
        ctx.out(
          `${terminalSafe(result.agentId)}: ${action} requested; follow it with: ocf status ${terminalSafe(result.agentId)}\n`,
        );
      });

  const budget = new Command('budget')
    .description("An agent's monthly model budget and what it has spent this month; --set changes the budget")
    .argument('<agent>', 'the agent id')
    .option(
      '--set <usd>',
      'a new monthly budget in US dollars (0 to 1000000), or "none" for no budget of its own (the department\'s and the fleet\'s still apply)',
      budgetValue,
    )
    .addHelpText(
      'after',
      "\nThe directory keeps the budget; the model gateway enforces it (a spent budget stops the agent's model calls\nuntil the budget is raised or the month turns). Spend is as the gateway last reported it.\n",
    )
    .action(async (agentId: string, options: { set?: number | 'none' }, command: Command) => {
      const ctx = contextOf(command);
      const client = await ctx.client();
      const agent =
        options.set === undefined
          ? await client.agent(agentId)
          : await client.update(agentId, { monthlyBudgetUsd: options.set === 'none' ? null : options.set });
      if (ctx.json) {
        ctx.out(json(budgetJson(agent)));
        return;
      }
      ctx.out(budgetView(agent, ctx.style, options.set !== undefined));
    });

  return [lifecycle('sleep'), lifecycle('wake'), budget];
}

/**
 * `--set`: dollars as the API takes them, or `none` (sent as null: no budget of its own). Not
 * null itself: commander reads a parser's null as "no value given".
 */
export function budgetValue(value: string): number | 'none' {
  if (value.trim().toLowerCase() === 'none') return 'none';
  const usd = Number(value);
  if (value.trim() === '' || !Number.isFinite(usd) || usd < 0 || usd > 1_000_000)
    throw new CliError(
      `"${terminalSafe(value)}" is not a budget: give US dollars from 0 to 1000000, or "none"`,
      EXIT.usage,
    );
  return usd;
}

function budgetJson(agent: AgentView) {
  return {
    agentId: agent.agentId,
    monthlyBudgetUsd: agent.monthlyBudgetUsd ?? null,
    ...(agent.modelSpend === undefined ? {} : { modelSpend: agent.modelSpend }),
  };
}

const usd = (amount: number) => `${amount.toFixed(2)} USD`;

/** The budget and this month's spend, for people. */
export function budgetView(agent: AgentView, s: Style, changed: boolean): string {
  const spend = agent.modelSpend;
  const own = agent.monthlyBudgetUsd;
  const state = spend?.budget ?? 'none';
  const stateText =
    state === 'spent'
      ? s.red(
          `spent${spend?.spentScope === undefined ? '' : ` (the ${spend.spentScope}'s budget)`}: model calls refused until the budget is raised or the month turns`,
        )
      : state === 'near-limit'
        ? s.yellow(
            `near the limit${spend?.spentScope === undefined ? '' : ` (the ${spend.spentScope}'s budget)`}`,
          )
        : state === 'ok'
          ? s.green('ok')
          : 'no limit applies';
  const lines = [
    `${s.bold(terminalSafe(agent.agentId))}${changed ? '  budget changed' : ''}`,
    `  budget      ${own === undefined ? "none of its own (the department's and the fleet's apply)" : `${usd(own)} a month`}`,
    ...(spend === undefined
      ? []
      : [
          `  month       ${terminalSafe(spend.month)}`,
          `  spent       ${usd(spend.costUsd)}${own === undefined || own === 0 ? '' : ` (${((spend.costUsd / own) * 100).toFixed(1)}%)`}`,
          `  calls       ${spend.calls}`,
          `  tokens      ${spend.tokensIn} in, ${spend.tokensOut} out`,
          `  state       ${stateText}`,
          ...(spend.asOf === undefined ? [] : [`  as of       ${terminalSafe(spend.asOf)}`]),
        ]),
  ];
  return `${lines.join('\n')}\n`;
}
