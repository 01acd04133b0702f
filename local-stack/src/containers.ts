/**
 * The same backends as container images, for machines with Docker: compose.yaml and the test
 * harness's testcontainers path both start them this way. Tags match the versions pinned in
 * python/requirements.txt; a test keeps the three in step.
 */
import type { SynapseSecrets, SynapseSetup } from './synapse-config.ts';

export const MOTO_IMAGE = 'motoserver/moto:5.2.5';
export const SYNAPSE_IMAGE = 'matrixdotorg/synapse:v1.163.2';

/** Ports inside the containers (the images' defaults), published on the host as configured. */
export const MOTO_CONTAINER_PORT = 5000;
export const SYNAPSE_CONTAINER_PORT = 8008;

/**
 * The image's moto_server has none of moto_launcher.py's patches, so the container runs the
 * launcher instead (python3 is the image's interpreter, with moto installed).
 */
export const MOTO_LAUNCHER_IN_CONTAINER = '/opt/ocf/moto_launcher.py';
export const MOTO_CONTAINER_COMMAND = [
  'python3',
  MOTO_LAUNCHER_IN_CONTAINER,
  '--host',
  '0.0.0.0',
  '--port',
  String(MOTO_CONTAINER_PORT),
] as const;

/** Docker's name for the host machine, as a container sees it: where the bridge listens. */
export const HOST_FROM_CONTAINER = 'host.docker.internal';

export const SYNAPSE_CONFIG_DIR_IN_CONTAINER = '/config';

/**
 * The image's start script runs Synapse with SYNAPSE_CONFIG_PATH. UID/GID 0 keep it root inside
 * the container: the generated files are owner-only (they hold secrets) and owned by whoever
 * generated them, which the image's default user 991 could not read. Nothing is published beyond
 * 127.0.0.1, and the container is thrown away after the tests.
 */
export const SYNAPSE_CONTAINER_ENV = {
  SYNAPSE_CONFIG_PATH: `${SYNAPSE_CONFIG_DIR_IN_CONTAINER}/homeserver.yaml`,
  UID: '0',
  GID: '0',
} as const;

export function synapseContainerSetup(input: {
  serverName: string;
  secrets: SynapseSecrets;
  bridgeAppservicePort: number;
}): SynapseSetup {
  return {
    serverName: input.serverName,
    bindAddress: '0.0.0.0',
    port: SYNAPSE_CONTAINER_PORT,
    configDir: SYNAPSE_CONFIG_DIR_IN_CONTAINER,
    dataDir: '/data',
    logFile: undefined,
    appserviceUrl: `http://${HOST_FROM_CONTAINER}:${input.bridgeAppservicePort}`,
    secrets: input.secrets,
  };
}
