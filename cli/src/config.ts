import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Where the directory is and how to talk to it, and where each of the two came from. */
export interface ResolvedConfig {
  readonly directoryUrl?: string | undefined;
  readonly token?: string | undefined;
  /** The local fleet this came from, if any: `logs` reads its agents' files. */
  readonly fleet?: LocalFleet | undefined;
  readonly environment: string;
  readonly sources: { readonly directoryUrl?: string; readonly token?: string };
}

export interface LocalFleet {
  readonly stateDir: string;
  readonly environment: string;
  readonly directoryUrl: string;
  readonly token?: string | undefined;
}

export interface ConfigInputs {
  readonly flags: {
    readonly url?: string | undefined;
    readonly token?: string | undefined;
    readonly env?: string | undefined;
    readonly config?: string | undefined;
  };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The config file's shape: `{"directoryUrl": "...", "token": "...", "environment": "..."}`. */
interface ConfigFile {
  readonly directoryUrl?: string;
  readonly token?: string;
  readonly environment?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Each setting from the first place that has it: a flag, then the environment (OCF_DIRECTORY_URL,
 * OCF_TOKEN, OCF_ENV), then the config file (--config, OCF_CONFIG, or
 * $XDG_CONFIG_HOME/ocf/config.json), then a local fleet found without any setting: the nearest
 * `.local-stack/fleet/<env>/fleet.json` at or above the working directory (or under
 * OCF_STACK_DIR), with its `api-token`.
 */
export async function resolveConfig(inputs: ConfigInputs): Promise<ResolvedConfig> {
  const { flags, env } = inputs;
  const file = await readConfigFile(flags.config ?? nonEmpty(env['OCF_CONFIG']), env);
  const environment = flags.env ?? nonEmpty(env['OCF_ENV']) ?? file.values.environment ?? 'local';
  const fleet = await findLocalFleet(inputs.cwd, environment, env);
  const pickOne = (
    candidates: readonly [string | undefined, string][],
  ): { value?: string; source?: string } => {
    for (const [value, source] of candidates)
      if (value !== undefined && value !== '') return { value, source };
    return {};
  };
  const url = pickOne([
    [flags.url, '--url'],
    [nonEmpty(env['OCF_DIRECTORY_URL']), 'OCF_DIRECTORY_URL'],
    [file.values.directoryUrl, file.path ?? 'config file'],
    [fleet?.directoryUrl, `local fleet "${environment}"`],
  ]);
  const token = pickOne([
    [flags.token, '--token'],
    [nonEmpty(env['OCF_TOKEN']), 'OCF_TOKEN'],
    [file.values.token, file.path ?? 'config file'],
    // The fleet's token only goes with the fleet's own directory.
    [url.value === fleet?.directoryUrl ? fleet?.token : undefined, `local fleet "${environment}"`],
  ]);
  return {
    directoryUrl: url.value?.replace(/\/+$/, ''),
    token: token.value,
    fleet,
    environment,
    sources: {
      ...(url.source === undefined ? {} : { directoryUrl: url.source }),
      ...(token.source === undefined ? {} : { token: token.source }),
    },
  };
}

async function readConfigFile(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ path?: string; values: ConfigFile }> {
  const file =
    explicit ??
    path.join(nonEmpty(env['XDG_CONFIG_HOME']) ?? path.join(homedir(), '.config'), 'ocf', 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && explicit === undefined) return { values: {} };
    throw new ConfigError(`cannot read the config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the config file ${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`the config file ${file} must be a JSON object`);
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!['directoryUrl', 'token', 'environment'].includes(key))
      throw new ConfigError(
        `the config file ${file}: "${key}" is not a known setting (directoryUrl, token, environment)`,
      );
    if (typeof value !== 'string')
      throw new ConfigError(`the config file ${file}: "${key}" must be a string`);
    values[key] = value;
  }
  return { path: file, values };
}

/** The local fleet `pnpm fleet up --env <environment>` left running, if one is found. */
export async function findLocalFleet(
  cwd: string,
  environment: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LocalFleet | undefined> {
  const candidates: string[] = [];
  const stackDir = nonEmpty(env['OCF_STACK_DIR']);
  if (stackDir !== undefined) candidates.push(path.resolve(stackDir));
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, '.local-stack'));
    if (path.dirname(dir) === dir) break;
  }
  for (const stateDir of candidates) {
    const dir = path.join(stateDir, 'fleet', environment);
    const stateFile = path.join(dir, 'fleet.json');
    if (!existsSync(stateFile)) continue;
    let port: unknown;
    try {
      const state = JSON.parse(await readFile(stateFile, 'utf8')) as {
        services?: { directory?: { port?: unknown } };
      };
      port = state.services?.directory?.port;
    } catch {
      continue;
    }
    if (typeof port !== 'number') continue;
    let token: string | undefined;
    try {
      token = (await readFile(path.join(dir, 'api-token'), 'utf8')).trim() || undefined;
    } catch {
      token = undefined;
    }
    return { stateDir, environment, directoryUrl: `http://127.0.0.1:${port}`, token };
  }
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
