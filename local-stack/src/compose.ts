import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { backendUrl } from './backend.ts';
import { synapseContainerSetup } from './containers.ts';
import { defaultStateDir } from './paths.ts';
import { resolveStackSettings, type StackOptions } from './settings.ts';
import { describeStack, writeStackInfo } from './stack-info.ts';
import { loadOrCreateInstance, writeSynapseFiles } from './synapse.ts';
import { renderSynapseFiles } from './synapse-config.ts';

/** compose.yaml mounts `synapse/` from here; fixed, because compose files cannot compute paths. */
export const defaultComposeDir = path.join(defaultStateDir, 'compose');

/**
 * Prepares the Docker path: Synapse's config as the container sees it (in `<dir>/synapse`,
 * mounted by compose.yaml) and a stack.json describing the compose stack, so that
 * `OCF_STACK_DIR=<dir>` points the CLI's `env` and the test harness at it. The homeserver keeps
 * its secrets across runs, like the process stack's.
 */
export async function writeComposeConfig(
  options: StackOptions & { dir?: string } = {},
): Promise<{ dir: string }> {
  const settings = resolveStackSettings(options);
  const dir = options.dir ?? defaultComposeDir;
  const synapseDir = path.join(dir, 'synapse');
  await mkdir(synapseDir, { recursive: true, mode: 0o700 });
  const instance = await loadOrCreateInstance(path.join(dir, 'instance.json'), settings.serverName);
  const setup = synapseContainerSetup({
    serverName: instance.serverName,
    secrets: instance.secrets,
    bridgeAppservicePort: settings.bridgeAppservicePort,
  });
  await writeSynapseFiles(synapseDir, renderSynapseFiles(setup));
  const endpoints = {
    awsEndpoint: backendUrl(settings.motoPort),
    homeserverUrl: backendUrl(settings.synapsePort),
  };
  await writeStackInfo(path.join(dir, 'stack.json'), describeStack(endpoints, setup));
  settings.onProgress(`Synapse config for compose.yaml written to ${synapseDir}`);
  return { dir };
}
