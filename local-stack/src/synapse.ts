import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BackendKind, BackendLaunch } from './backend.ts';
import { LocalStackError } from './errors.ts';
import type { StackSettings } from './settings.ts';
import {
  generateSynapseSecrets,
  renderSynapseFiles,
  SYNAPSE_FILE_NAMES,
  type SynapseFiles,
  type SynapseSecrets,
  type SynapseSetup,
} from './synapse-config.ts';
import { probe } from './wait.ts';

export const synapse: BackendKind = {
  name: 'synapse',
  portSetting: 'OCF_SYNAPSE_PORT',
  // A first start creates the SQLite schema: a few seconds on a laptop, more on a busy CI runner.
  readyTimeoutMs: 120_000,
  async answers(url) {
    const response = await probe(`${url}/health`);
    return response?.status === 200 && response.body.trim() === 'OK';
  },
};

export function synapseLaunch(python: string, port: number, configFile: string): BackendLaunch {
  return {
    ...synapse,
    port,
    command: [python, '-m', 'synapse.app.homeserver', '--config-path', configFile],
    identity: `--config-path ${configFile}`,
  };
}

/** What a homeserver keeps across `up`s: the name it was created with, and its secrets. */
export interface SynapseInstance {
  serverName: string;
  secrets: SynapseSecrets;
}

/**
 * Writes the homeserver's config files into the stack's synapse folder and returns the setup they describe. Secrets are created on the first call and
 * reused after, so users, sessions and the bridge's tokens survive `down` and `up`.
 */
export async function prepareSynapse(
  settings: Pick<
    StackSettings,
    'synapseDir' | 'logsDir' | 'serverName' | 'synapsePort' | 'bridgeAppservicePort'
  >,
): Promise<{ configFile: string; setup: SynapseSetup }> {
  await mkdir(settings.synapseDir, { recursive: true, mode: 0o700 });
  const instance = await loadOrCreateInstance(
    path.join(settings.synapseDir, 'instance.json'),
    settings.serverName,
  );
  const setup: SynapseSetup = {
    serverName: instance.serverName,
    bindAddress: '127.0.0.1',
    port: settings.synapsePort,
    configDir: settings.synapseDir,
    dataDir: settings.synapseDir,
    logFile: path.join(settings.logsDir, 'homeserver.log'),
    appserviceUrl: `http://127.0.0.1:${settings.bridgeAppservicePort}`,
    secrets: instance.secrets,
  };
  await writeSynapseFiles(settings.synapseDir, renderSynapseFiles(setup));
  return { configFile: path.join(settings.synapseDir, SYNAPSE_FILE_NAMES.homeserver), setup };
}

/** Owner-only: the files hold the homeserver's secrets. */
export async function writeSynapseFiles(dir: string, files: SynapseFiles): Promise<void> {
  for (const name of Object.keys(SYNAPSE_FILE_NAMES) as (keyof typeof SYNAPSE_FILE_NAMES)[]) {
    await writePrivateFile(path.join(dir, SYNAPSE_FILE_NAMES[name]), files[name]);
  }
}

export async function loadOrCreateInstance(file: string, serverName: string): Promise<SynapseInstance> {
  const stored = await readInstance(file);
  if (stored !== undefined && stored.serverName !== serverName) {
    throw new LocalStackError(
      'SERVER_NAME_CHANGED',
      `the homeserver in ${path.dirname(file)} was created for server name "${stored.serverName}", and ` +
        `Synapse cannot rename a server. Set OCF_MATRIX_SERVER_NAME=${stored.serverName}, or run ` +
        '`pnpm stack down` and delete that folder to start over with an empty homeserver.',
    );
  }
  // Fields added to SynapseSecrets later are generated for homeservers created before them.
  const instance: SynapseInstance = {
    serverName,
    secrets: { ...generateSynapseSecrets(), ...stored?.secrets },
  };
  if (JSON.stringify(instance) !== JSON.stringify(stored)) {
    await writePrivateFile(file, `${JSON.stringify(instance, null, 2)}\n`);
  }
  return instance;
}

async function readInstance(
  file: string,
): Promise<{ serverName: string; secrets: Partial<SynapseSecrets> } | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { serverName, secrets } = parsed as Record<string, unknown>;
  if (typeof serverName !== 'string' || typeof secrets !== 'object' || secrets === null) return undefined;
  const known = Object.entries(secrets).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return { serverName, secrets: Object.fromEntries(known) };
}

async function writePrivateFile(file: string, content: string): Promise<void> {
  await writeFile(file, content, { mode: 0o600 });
  // `mode` applies only when the file is created; an older, looser file is tightened too.
  await chmod(file, 0o600);
}
