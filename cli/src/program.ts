import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.ts';
import { ConfigError, resolveConfig, type ResolvedConfig } from './config.ts';
import { ApiError, directoryClient, UnreachableError } from './client.ts';
import { colourWanted, style } from './output.ts';
import { CliError, type Context, type GlobalOptions, type Io } from './context.ts';
import { agentCommands } from './commands/agents.ts';
import { watchCommand } from './commands/watch.ts';
import { logsCommand } from './commands/logs.ts';
import { orgCommands } from './commands/org.ts';
import { sleepBudgetCommands } from './commands/sleep-budget.ts';

const CONFIG_HELP = `Configuration (each setting from the first that has it):
  --url / --token flags
  OCF_DIRECTORY_URL / OCF_TOKEN (and OCF_ENV for --env)
  a config file: --config FILE, OCF_CONFIG, or $XDG_CONFIG_HOME/ocf/config.json (~/.config/ocf/config.json),
    {"directoryUrl": "https://...", "token": "...", "environment": "prod"}
  a local fleet, found without any setting: .local-stack/fleet/<env>/fleet.json and its api-token
    at or above the working directory (or under OCF_STACK_DIR); --env picks the fleet (default: local)`;

/** This package's version: cli/package.json in the repository, the installed package's own outside it. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function createProgram(io: Io): Command {
  const program = new Command('ocf')
    .description(
      'The Open-Claw-Fleet from a terminal: hire, watch and retire agents, and keep the org as code.',
    )
    .version(VERSION, '-V, --version', "print ocf's version")
    .addOption(new Option('--url <url>', "the directory's URL"))
    .addOption(new Option('--token <token>', 'an API token (read scope for queries, write for changes)'))
    .addOption(new Option('--env <name>', 'the fleet environment (local fleet to find; log group on AWS)'))
    .addOption(new Option('--config <file>', 'a config file (JSON) instead of the default one'))
    .option('--json', 'machine-readable output (JSON; `watch` writes one JSON object a line)')
    .option('--no-color', 'no colour even on a terminal (NO_COLOR does the same)')
    .addHelpText('after', `\n${CONFIG_HELP}\n\n${EXIT_CODES_HELP}\n`)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  let cached: Promise<ResolvedConfig> | undefined;
  const contextOf = (command: Command): Context => {
    const options = command.optsWithGlobals<GlobalOptions>();
    const json = options.json === true;
    const config = () =>
      (cached ??= resolveConfig({
        flags: { url: options.url, token: options.token, env: options.env, config: options.config },
        env: io.env,
        cwd: io.cwd,
      }));
    return {
      io,
      json,
      style: style(options.color !== false && colourWanted(io.stdout.isTTY, io.env)),
      config,
      client: async () => {
        const resolved = await config();
        if (resolved.directoryUrl === undefined) {
          throw new CliError(
            `no directory to talk to: give --url or OCF_DIRECTORY_URL, a config file, or start a local fleet (pnpm fleet up --env ${resolved.environment})`,
            EXIT.notConfigured,
          );
        }
        return directoryClient(resolved.directoryUrl, resolved.token);
      },
      out: (text) => io.stdout.write(text),
      err: (text) => io.stderr.write(text),
    };
  };

  for (const command of [
    ...agentCommands(contextOf),
    ...sleepBudgetCommands(contextOf),
    watchCommand(contextOf),
    logsCommand(contextOf),
    orgCommands(contextOf),
  ]) {
    program.addCommand(command);
  }
  // Every subcommand reports usage errors through the same override and output.
  const inherit = (command: Command) => {
    command
      .exitOverride()
      .showHelpAfterError('(add --help for usage)')
      .configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
      });
    command.commands.forEach(inherit);
  };
  program.commands.forEach(inherit);
  return program;
}

/** Runs `ocf` with `argv` (without node and the script) and answers the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // Asked-for help and the version are not failures; help shown for a missing subcommand is.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    return EXIT.usage;
  }
  const say = (message: string) =>
    io.stderr.write(
      `ocf: ${message.replace(/[\p{Cc}]/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}\n`,
    );
  if (error instanceof CliError) {
    say(error.message);
    return error.exitCode;
  }
  if (error instanceof ApiError) {
    const field = error.body?.field;
    say(field === undefined || error.message.includes(field) ? error.message : `${error.message} (${field})`);
    if (error.exitCode === EXIT.unauthorised)
      say('check the token (--token, OCF_TOKEN, the config file) and its scope: write for changes');
    return error.exitCode;
  }
  if (error instanceof UnreachableError) {
    say(error.message);
    return EXIT.failed;
  }
  if (error instanceof ConfigError) {
    say(error.message);
    return EXIT.notConfigured;
  }
  say(`unexpected error: ${(error as Error).stack ?? String(error)}`);
  return EXIT.failed;
}

export { CliError, type Context, type Io } from './context.ts';
