import path from 'node:path';
import { LocalStackError } from './errors.ts';
import { defaultStateDir, stackLayout, type StackLayout } from './paths.ts';

/** Every field falls back to its environment variable, then to the default shown. */
export interface StackOptions {
  /** `OCF_STACK_DIR`, default `<repo>/.local-stack`: pid files, logs, Synapse data, stack.json. */
  stateDir?: string;
  /** `OCF_VENV_DIR`, default `<stateDir>/venv`. Point tests and CI at one venv so they never reinstall. */
  venvDir?: string;
  /** `OCF_PYTHON`, default `python3`: the interpreter the venv is created from (3.10 or newer). */
  python?: string;
  /** `OCF_MOTO_PORT`, default 4566 (LocalStack's port, so AWS tooling defaults carry over). */
  motoPort?: number;
  /** `OCF_SYNAPSE_PORT`, default 8008 (Synapse's own default). */
  synapsePort?: number;
  /** `OCF_MATRIX_SERVER_NAME`, default `localhost`: the `:server` part of every Matrix id. */
  serverName?: string;
  /** `OCF_BRIDGE_AS_PORT`, default 9009: where Synapse pushes events for the bridge service. */
  bridgeAppservicePort?: number;
  /** Progress lines ("installing...", "started..."). The CLI prints them; tests usually do not. */
  onProgress?: (line: string) => void;
}

export interface StackSettings extends StackLayout {
  python: string;
  motoPort: number;
  synapsePort: number;
  serverName: string;
  bridgeAppservicePort: number;
  onProgress: (line: string) => void;
}

export function resolveStackSettings(
  options: StackOptions = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): StackSettings {
  const stateDir = path.resolve(options.stateDir ?? nonEmpty(env['OCF_STACK_DIR']) ?? defaultStateDir);
  const venvDir = path.resolve(
    options.venvDir ?? nonEmpty(env['OCF_VENV_DIR']) ?? path.join(stateDir, 'venv'),
  );
  return {
    ...stackLayout(stateDir, venvDir),
    python: options.python ?? nonEmpty(env['OCF_PYTHON']) ?? 'python3',
    motoPort: options.motoPort ?? portFromEnv(env, 'OCF_MOTO_PORT') ?? 4566,
    synapsePort: options.synapsePort ?? portFromEnv(env, 'OCF_SYNAPSE_PORT') ?? 8008,
    serverName: options.serverName ?? nonEmpty(env['OCF_MATRIX_SERVER_NAME']) ?? 'localhost',
    bridgeAppservicePort: options.bridgeAppservicePort ?? portFromEnv(env, 'OCF_BRIDGE_AS_PORT') ?? 9009,
    onProgress: options.onProgress ?? (() => undefined),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function portFromEnv(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new LocalStackError('INVALID_SETTING', `${name} must be a port number (1-65535), not "${raw}".`);
  }
  return port;
}
