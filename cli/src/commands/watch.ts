import { Command } from 'commander';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { ApiError, type AgentView } from '../client.ts';
import { jsonLine, statusText, terminalSafe } from '../output.ts';
import { CliError, type Context } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { agentTable } from './agents.ts';

/**
 * `ocf watch`: the agents, then every change as it happens, from the directory's watch stream
 * (GET /v1/watch/agents, ADR 0022) until Ctrl-C. Of two views of one agent the higher `version`
 * is the newer; an older one arriving late is dropped.
 */
export function watchCommand(contextOf: (command: Command) => Context): Command {
  return new Command('watch')
    .description('Follow the agents live: everyone first, then every change, until Ctrl-C')
    .addHelpText(
      'after',
      '\nWith --json, one JSON object a line: {"event":"agent","agent":{...}}, then {"event":"synced"}, then one "agent" line per change.\n',
    )
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const client = await ctx.client();
      const signal = ctx.io.interrupted;
      // Read through a function: the signal changes under the awaits below.
      const aborted = () => signal.aborted;
      if (aborted()) return;
      const response = await client.watch(signal).catch((error: unknown) => {
        if (aborted()) return undefined;
        throw error;
      });
      if (response === undefined) return;
      if (!response.ok || response.body === null) {
        const body = (await response.json().catch(() => undefined)) as ApiError['body'];
        throw new ApiError(
          response.status,
          body,
          body?.message ?? `GET /v1/watch/agents: HTTP ${response.status}`,
        );
      }
      const versions = new Map<string, number>();
      const snapshot: AgentView[] = [];
      let synced = false;
      const messages = response.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream());
      try {
        for await (const message of messages) {
          if (message.event === 'synced') {
            synced = true;
            if (ctx.json) ctx.out(`${jsonLine({ event: 'synced' })}\n`);
            else
              ctx.out(
                `${agentTable(snapshot, ctx.style)}-- ${snapshot.length} agent${snapshot.length === 1 ? '' : 's'}; following changes (Ctrl-C to stop) --\n`,
              );
            continue;
          }
          if (message.event !== 'agent') continue;
          const agent = JSON.parse(message.data) as AgentView;
          if ((versions.get(agent.agentId) ?? -1) >= agent.version) continue;
          versions.set(agent.agentId, agent.version);
          if (ctx.json) ctx.out(`${jsonLine({ event: 'agent', agent })}\n`);
          else if (!synced) snapshot.push(agent);
          else
            ctx.out(
              `${new Date().toISOString().slice(11, 19)}  ${terminalSafe(agent.agentId)}  ${statusText(agent.status, ctx.style)}  ${terminalSafe(agent.name)}, ${terminalSafe(agent.title)}\n`,
            );
        }
      } catch (error) {
        if (aborted()) return;
        throw error;
      }
      if (!aborted()) throw new CliError('the directory ended the watch stream', EXIT.failed);
    });
}
