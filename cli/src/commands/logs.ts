import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Command } from 'commander';
import { EXIT } from '../exit-codes.ts';
import { json, terminalSafe } from '../output.ts';
import { CliError, type Context } from '../context.ts';
import { positiveInteger } from './agents.ts';

/**
 * `ocf logs <agent>`: on a local fleet, the agent's own output files (the local process runner
 * appends them under .local-stack/agents/<env>/<agentId>/); on AWS, its task's stream in
 * CloudWatch Logs: group `/ocf/<env>/agents` and stream `agent/agent/<task id>` (infra's agent
 * task template logs with stream prefix `agent`, container `agent`). The task id comes from the
 * agent's `task` step, which only a write token sees.
 */
export function logsCommand(contextOf: (command: Command) => Context): Command {
  return new Command('logs')
    .description("An agent's log: its output files on a local fleet, its CloudWatch Logs stream on AWS")
    .argument('<agent>', 'the agent id')
    .option('-n, --tail <lines>', 'the last this many lines', positiveInteger, 100)
    .option('--stderr', 'locally: the standard error file instead of standard output')
    .option(
      '--aws',
      'read CloudWatch Logs even when a local fleet is found (region and credentials as the AWS CLI)',
    )
    .action(
      async (
        agentId: string,
        options: { tail: number; stderr?: boolean; aws?: boolean },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const config = await ctx.config();
        const lines =
          config.fleet !== undefined && options.aws !== true
            ? await localLines(
                path.join(config.fleet.stateDir, 'agents', config.environment, agentId),
                options,
              )
            : await cloudWatchLines(ctx, agentId, config.environment, options.tail);
        if (ctx.json) {
          ctx.out(json(lines));
          return;
        }
        // Logs are full of colour codes and worse: shown, never obeyed.
        for (const line of lines) ctx.out(`${terminalSafe(line)}\n`);
      },
    );
}

async function localLines(dir: string, options: { tail: number; stderr?: boolean }): Promise<string[]> {
  const file = path.join(dir, options.stderr === true ? 'stderr.log' : 'stdout.log');
  try {
    await stat(file);
  } catch {
    throw new CliError(
      `no log file ${file}: is the agent id right, and has it started on this fleet?`,
      EXIT.notFound,
    );
  }
  return tail(file, options.tail);
}

/** The last `count` lines of a file, reading only as much of its end as that takes. */
export async function tail(file: string, count: number): Promise<string[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    let position = size;
    let text = '';
    const chunk = 64 * 1024;
    while (position > 0 && text.split('\n').length <= count + 1) {
      const length = Math.min(chunk, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      text = buffer.toString('utf8') + text;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}

async function cloudWatchLines(
  ctx: Context,
  agentId: string,
  environment: string,
  count: number,
): Promise<string[]> {
  const agent = await (await ctx.client()).agent(agentId);
  const task = agent.steps?.find((step) => step.phase === 'hire' && step.step === 'task');
  const taskArn = task?.detail;
  if (taskArn === undefined || !taskArn.startsWith('arn:')) {
    throw new CliError(
      `${agentId} has no task to read logs from${task?.state === 'done' ? ' visible to this token (a write token sees the task)' : ' yet'}`,
      EXIT.notFound,
    );
  }
  const taskId = taskArn.split('/').at(-1) ?? '';
  const logs = new CloudWatchLogsClient({});
  const logGroupName = `/ocf/${environment}/agents`;
  const logStreamName = `agent/agent/${taskId}`;
  try {
    const page = await logs.send(
      new GetLogEventsCommand({
        logGroupName,
        logStreamName,
        limit: Math.min(count, 10_000),
        startFromHead: false,
      }),
    );
    return (page.events ?? []).map((e) => `${new Date(e.timestamp ?? 0).toISOString()}  ${e.message ?? ''}`);
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException')
      throw new CliError(`no log stream ${logStreamName} in ${logGroupName}`, EXIT.notFound);
    throw new CliError(`CloudWatch Logs: ${(error as Error).message}`, EXIT.failed);
  }
}
