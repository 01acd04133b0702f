import { randomBytes } from 'node:crypto';
import { access, chmod, copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { join } from 'node:path';
import type { SecretText } from '@ocf/secrets';
import { SECRET_IDS } from './gateway-config.ts';

/**
 * OpenClaw's state directory for one run of the agent: task-local, private (0700), and seeded
 * from the plugin home that the image build (or `install-plugins` on a laptop) prepared.
 *
 * OpenClaw keeps an installed plugin in two places of its state directory: the package under
 * `npm/` and its install record in `state/openclaw.sqlite`. Only an npm install from the official
 * package counts as trusted, and the Matrix plugin needs trust (its sync store). So the build
 * installs it the official way into the plugin home, and each run links `npm/` to it (read-only
 * is enough) and starts from a copy of the database that records it. Nothing is installed here.
 */
export interface StateLayout {
  readonly root: string;
  readonly configFile: string;
  readonly secretsFile: string;
  readonly logFile: string;
  readonly home: string;
}

/** What install-openclaw-plugins.ts writes into the plugin home: the plugins and their versions. */
export const PLUGIN_MANIFEST = 'ocf-plugins.json';

export class PluginHomeError extends Error {
  readonly code = 'PLUGIN_HOME_INCOMPLETE';
  readonly retryable = false;
}

export async function readPluginManifest(pluginHome: string): Promise<Record<string, string>> {
  try {
    const manifest = JSON.parse(await readFile(join(pluginHome, PLUGIN_MANIFEST), 'utf8')) as {
      plugins?: Record<string, string>;
    };
    return manifest.plugins ?? {};
  } catch {
    throw new PluginHomeError(
      `no OpenClaw plugins installed in ${pluginHome}: run "node agent-container/scripts/install-openclaw-plugins.ts" once (the image build does)`,
    );
  }
}

export async function prepareState(root: string, pluginHome: string): Promise<StateLayout> {
  const layout: StateLayout = {
    root,
    configFile: join(root, 'openclaw.json'),
    secretsFile: join(root, 'secrets', 'agent.json'),
    logFile: join(root, 'logs', 'openclaw.log'),
    home: join(root, 'home'),
  };
  await mkdir(root, { recursive: true, mode: 0o700 });
  await chmod(root, 0o700);
  for (const dir of ['state', 'secrets', 'logs', 'home'])
    await mkdir(join(root, dir), { mode: 0o700, recursive: true });

  const database = join(root, 'state', 'openclaw.sqlite');
  if (!(await exists(database))) await copyFile(join(pluginHome, 'state', 'openclaw.sqlite'), database);
  if (!(await exists(join(root, 'npm')))) await symlink(join(pluginHome, 'npm'), join(root, 'npm'));
  return layout;
}

export interface Secrets {
  readonly matrixAccessToken: SecretText;
  readonly modelApiKey?: SecretText | undefined;
}

/**
 * The one file that holds credentials, read by OpenClaw's `file` secret provider: owner-only
 * (OpenClaw refuses anything else), in an owner-only directory, outside the agent's workspace.
 * Also holds a fresh random token for the gateway's loopback control socket.
 */
export async function writeSecrets(layout: StateLayout, secrets: Secrets): Promise<void> {
  const document: Record<string, unknown> = {};
  setPointer(document, SECRET_IDS.matrixAccessToken, secrets.matrixAccessToken.reveal());
  setPointer(document, SECRET_IDS.gatewayToken, randomBytes(32).toString('base64url'));
  if (secrets.modelApiKey !== undefined)
    setPointer(document, SECRET_IDS.modelApiKey, secrets.modelApiKey.reveal());
  // A new file each time (a temporary file renamed over the old): OpenClaw also refuses
  // hard-linked secret files.
  await writeFileAtomic(layout.secretsFile, JSON.stringify(document), { mode: 0o600 });
}

export async function writeGatewayConfig(
  layout: StateLayout,
  config: Record<string, unknown>,
): Promise<void> {
  await writeFile(layout.configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

/** Sets `/a/b` in a JSON object: the secret ids are JSON pointers into this file. */
function setPointer(document: Record<string, unknown>, pointer: string, value: string): void {
  const keys = pointer.split('/').slice(1);
  const last = keys.pop();
  if (last === undefined) throw new Error(`not a JSON pointer: ${pointer}`);
  let node = document;
  for (const key of keys) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[last] = value;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
