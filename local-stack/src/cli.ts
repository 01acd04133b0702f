#!/usr/bin/env node
/**
 * node local-stack/src/cli.ts up|down|status|env|compose-config   (or: pnpm stack <command>;
 * not `pnpm up`, which pnpm reads as its own `update`)
 *
 * Exit codes: 0 done; 1 failed (the message says why and what to do); 2 usage; 3 `status` found
 * a backend stopped or unresponsive. Progress goes to stderr, results to stdout, so
 * `eval "$(pnpm -s stack env)"` sees only the exports.
 */
import { relative } from 'node:path';
import { writeComposeConfig } from './compose.ts';
import { LocalStackError } from './errors.ts';
import { resolveStackSettings } from './settings.ts';
import { stackDown, stackStatus, stackUp } from './stack.ts';
import { readStackInfo, type StackInfo } from './stack-info.ts';

const EXIT = { ok: 0, failed: 1, usage: 2, notRunning: 3 } as const;

const usage = `usage: node local-stack/src/cli.ts <command>

  up              start moto and Synapse (installs their Python venv on first use); idempotent
  down            stop them; nothing of theirs is left running. Data is kept.
  status          show each backend; exit 3 if one is not running
  env             print export lines for the running stack: eval "$(pnpm -s stack env)"
  compose-config  write Synapse's config for local-stack/compose.yaml (the Docker path)

settings (environment): OCF_STACK_DIR, OCF_VENV_DIR, OCF_PYTHON, OCF_MOTO_PORT (4566),
  OCF_SYNAPSE_PORT (8008), OCF_MATRIX_SERVER_NAME (localhost), OCF_BRIDGE_AS_PORT (9009)
See docs/local-stack.md.`;

const progress = (line: string): void => {
  process.stderr.write(`local-stack: ${line}\n`);
};

const commands: Record<string, () => Promise<number>> = {
  async up() {
    const result = await stackUp({ onProgress: progress });
    const { logsDir } = resolveStackSettings({ stateDir: result.stateDir });
    print([
      `moto      ${result.info.awsEndpoint}    AWS APIs (region ${result.info.region})`,
      `synapse   ${result.info.homeserverUrl}    Matrix homeserver for ${result.info.serverName}`,
      `logs      ${shortPath(logsDir)}/   endpoints and secrets for code: ${shortPath(`${result.stateDir}/stack.json`)}`,
      `next      eval "$(pnpm -s stack env)"`,
    ]);
    return EXIT.ok;
  },

  async down() {
    const { stopped } = await stackDown({ onProgress: progress });
    print([stopped.length === 0 ? 'nothing was running' : `stopped ${stopped.join(' and ')}`]);
    return EXIT.ok;
  },

  async status() {
    const statuses = await stackStatus();
    print(
      statuses.map(
        (s) =>
          `${s.name.padEnd(9)} ${s.state.padEnd(12)} ${s.url ?? '-'}` +
          `${s.pid === undefined ? '' : `  pid ${s.pid}`}  log ${shortPath(s.logFile)}`,
      ),
    );
    return statuses.every((s) => s.state === 'running') ? EXIT.ok : EXIT.notRunning;
  },

  async env() {
    const info = await readStackInfo();
    print(exportLines(info, resolveStackSettings().stateDir));
    return EXIT.ok;
  },

  async 'compose-config'() {
    const { dir } = await writeComposeConfig({ onProgress: progress });
    print([
      `wrote Synapse's config to ${shortPath(dir)}; now:`,
      '  docker compose -f local-stack/compose.yaml up -d --wait',
      `  export OCF_STACK_DIR=${dir}`,
      '  eval "$(pnpm -s stack env)"',
    ]);
    return EXIT.ok;
  },
};

/** Endpoints only: the shared secret and the bridge's tokens stay in stack.json, out of shells and CI logs. */
function exportLines(info: StackInfo, stateDir: string): string[] {
  return [
    `export AWS_ENDPOINT_URL=${info.awsEndpoint}`,
    `export AWS_REGION=${info.region}`,
    // The AWS CLI reads AWS_DEFAULT_REGION; the SDKs read AWS_REGION.
    `export AWS_DEFAULT_REGION=${info.region}`,
    // moto accepts any credentials; these only stop the SDKs from looking for real ones.
    'export AWS_ACCESS_KEY_ID=test',
    'export AWS_SECRET_ACCESS_KEY=test',
    `export MATRIX_HOMESERVER_URL=${info.homeserverUrl}`,
    `export OCF_STACK_DIR=${stateDir}`,
  ];
}

function print(lines: readonly string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

function shortPath(file: string): string {
  const fromCwd = relative(process.cwd(), file);
  return fromCwd.startsWith('..') ? file : fromCwd;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 1 && ['help', '--help', '-h'].includes(argv[0] ?? '')) {
    print([usage]);
    return EXIT.ok;
  }
  const command = argv.length === 1 ? commands[argv[0] ?? ''] : undefined;
  if (command === undefined) {
    process.stderr.write(`${usage}\n`);
    return EXIT.usage;
  }
  try {
    return await command();
  } catch (error) {
    if (!(error instanceof LocalStackError)) throw error;
    process.stderr.write(`local-stack: ${error.message}\n`);
    return EXIT.failed;
  }
}

process.exitCode = await main(process.argv.slice(2));
