/**
 * Which moto and Synapse the test run uses, first match wins:
 *   1. the ones the environment names (AWS_ENDPOINT_URL and/or MATRIX_HOMESERVER_URL): someone
 *      else runs them, e.g. `pnpm stack up` in another terminal, compose.yaml, or LocalStack;
 *   2. containers, when a Docker engine answers (testcontainers);
 *   3. local processes from the local-stack launcher (no Docker needed).
 * OCF_BACKENDS=containers|processes skips the detection between 2 and 3.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  describeStack,
  generateSynapseSecrets,
  HOST_FROM_CONTAINER,
  LocalStackError,
  MOTO_CONTAINER_COMMAND,
  MOTO_CONTAINER_PORT,
  MOTO_IMAGE,
  MOTO_LAUNCHER_IN_CONTAINER,
  motoBackend,
  readStackInfo,
  renderSynapseFiles,
  resolveStackSettings,
  sources,
  stackDown,
  stackUp,
  SYNAPSE_CONTAINER_ENV,
  SYNAPSE_CONTAINER_PORT,
  SYNAPSE_FILE_NAMES,
  SYNAPSE_IMAGE,
  synapseContainerSetup,
  writeStackInfo,
  type StackInfo,
} from '@ocf/local-stack';

export type BackendSource = 'environment' | 'containers' | 'processes';

export interface ResolvedBackends extends StackInfo {
  source: BackendSource;
  /**
   * A folder whose stack.json describes exactly these backends, secrets included. Exported as
   * OCF_STACK_DIR, it lets test files (child processes) call readStackInfo() whatever the source.
   */
  stateDir: string;
  /** Stops what resolveBackends started and nothing else: backends it found keep running. */
  stop(): Promise<void>;
}

export interface ResolveBackendsOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** How long to wait for a Docker engine to answer before using local processes. */
  dockerProbeTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

type Env = Readonly<Record<string, string | undefined>>;

export async function resolveBackends(options: ResolveBackendsOptions = {}): Promise<ResolvedBackends> {
  const env = options.env ?? process.env;
  const onProgress = options.onProgress ?? (() => undefined);
  if (isSet(env['AWS_ENDPOINT_URL']) || isSet(env['MATRIX_HOMESERVER_URL'])) return fromEnvironment(env);

  const forced = env['OCF_BACKENDS'];
  if (forced !== undefined && forced !== 'containers' && forced !== 'processes') {
    throw new Error(`OCF_BACKENDS must be "containers" or "processes", not "${forced}".`);
  }
  const useContainers =
    forced === 'containers' ||
    (forced === undefined && (await dockerAnswers(options.dockerProbeTimeoutMs ?? 2000)));
  return useContainers ? startContainers(env, onProgress) : startProcesses(onProgress);
}

/** The variables a test file or a service under test needs to reach the backends. */
export function backendEnvironment(
  backends: ResolvedBackends,
  env: Env = process.env,
): Record<string, string> {
  // Real credentials from the developer's shell must never travel to an emulator we started;
  // backends named by the environment may want their own (LocalStack accepts "test" too).
  const ownCredentials = backends.source === 'environment';
  return {
    AWS_ENDPOINT_URL: backends.awsEndpoint,
    AWS_REGION: backends.region,
    AWS_DEFAULT_REGION: backends.region,
    AWS_ACCESS_KEY_ID: (ownCredentials ? env['AWS_ACCESS_KEY_ID'] : undefined) ?? 'test',
    AWS_SECRET_ACCESS_KEY: (ownCredentials ? env['AWS_SECRET_ACCESS_KEY'] : undefined) ?? 'test',
    MATRIX_HOMESERVER_URL: backends.homeserverUrl,
    OCF_STACK_DIR: backends.stateDir,
  };
}

/**
 * Endpoints from the environment, everything else (the Synapse secrets and the bridge's
 * registration, which no URL can tell) from the stack.json of OCF_STACK_DIR: `pnpm stack up` and
 * `pnpm stack compose-config` both write one. MATRIX_REGISTRATION_SHARED_SECRET overrides its secret.
 */
async function fromEnvironment(env: Env): Promise<ResolvedBackends> {
  const { stateDir } = resolveStackSettings({}, env);
  let described: StackInfo;
  try {
    described = await readStackInfo({ stateDir });
  } catch (error) {
    if (!(error instanceof LocalStackError)) throw error;
    throw new Error(
      'AWS_ENDPOINT_URL or MATRIX_HOMESERVER_URL is set, so the tests use backends you run yourself, but the ' +
        `Synapse secrets and the bridge's registration are missing: ${error.message} Set OCF_STACK_DIR to the ` +
        'folder whose stack.json describes your Synapse, or unset both URLs to let the tests start backends.',
      { cause: error },
    );
  }
  const info: StackInfo = {
    ...described,
    awsEndpoint: nonEmpty(env['AWS_ENDPOINT_URL']) ?? described.awsEndpoint,
    region: nonEmpty(env['AWS_REGION']) ?? described.region,
    homeserverUrl: nonEmpty(env['MATRIX_HOMESERVER_URL']) ?? described.homeserverUrl,
    registrationSharedSecret:
      nonEmpty(env['MATRIX_REGISTRATION_SHARED_SECRET']) ?? described.registrationSharedSecret,
  };
  // Nothing overridden (CI: `pnpm stack up` then `eval "$(pnpm -s stack env)"`): hand tests the
  // stack's own folder, so a test that drives the launcher itself (the fleet command) sees it.
  if (JSON.stringify(info) === JSON.stringify(described)) {
    return { ...info, source: 'environment', stateDir, stop: () => Promise.resolve() };
  }
  return withOwnStackFile(info, 'environment', () => Promise.resolve());
}

async function startProcesses(onProgress: (line: string) => void): Promise<ResolvedBackends> {
  const up = await stackUp({ onProgress });
  return {
    ...up.info,
    source: 'processes',
    stateDir: up.stateDir,
    async stop() {
      if (up.started.length > 0) await stackDown({ stateDir: up.stateDir, only: up.started });
    },
  };
}

/**
 * The same two backends as containers, configured by the same code as the process path: the
 * launcher's patches are copied into the moto image, and Synapse gets the generated config.
 */
async function startContainers(env: Env, onProgress: (line: string) => void): Promise<ResolvedBackends> {
  // Loaded only here: testcontainers pulls in a Docker client the other paths never need.
  const { GenericContainer, Wait } = await import('testcontainers');
  const settings = resolveStackSettings({}, env);
  const synapseSetup = synapseContainerSetup({
    serverName: settings.serverName,
    secrets: generateSynapseSecrets(),
    bridgeAppservicePort: settings.bridgeAppservicePort,
  });
  const files = renderSynapseFiles(synapseSetup);
  onProgress(`starting ${MOTO_IMAGE} and ${SYNAPSE_IMAGE} with Docker`);

  const starting = await Promise.allSettled([
    new GenericContainer(MOTO_IMAGE)
      .withCopyFilesToContainer([{ source: sources.motoLauncher, target: MOTO_LAUNCHER_IN_CONTAINER }])
      .withEntrypoint(MOTO_CONTAINER_COMMAND.slice(0, 1))
      .withCommand(MOTO_CONTAINER_COMMAND.slice(1))
      .withExposedPorts(MOTO_CONTAINER_PORT)
      .withWaitStrategy(
        Wait.forHttp('/moto-api/state-manager/get-transition?model_name=ecs::task', MOTO_CONTAINER_PORT),
      )
      .start(),
    new GenericContainer(SYNAPSE_IMAGE)
      .withEnvironment({ ...SYNAPSE_CONTAINER_ENV })
      .withCopyContentToContainer(
        (Object.keys(SYNAPSE_FILE_NAMES) as (keyof typeof SYNAPSE_FILE_NAMES)[]).map((name) => ({
          content: files[name],
          target: path.posix.join(synapseSetup.configDir, SYNAPSE_FILE_NAMES[name]),
          mode: 0o600,
        })),
      )
      // Lets Synapse reach the bridge on the host; Docker Desktop has the name already, Linux needs this.
      .withExtraHosts([{ host: HOST_FROM_CONTAINER, ipAddress: 'host-gateway' }])
      .withExposedPorts(SYNAPSE_CONTAINER_PORT)
      .withWaitStrategy(Wait.forHttp('/health', SYNAPSE_CONTAINER_PORT))
      .withStartupTimeout(120_000)
      .start(),
  ]);
  const [moto, synapse] = starting.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  const stopContainers = async (): Promise<void> => {
    await Promise.all([moto?.stop(), synapse?.stop()]);
  };
  const failure = starting.find((s) => s.status === 'rejected');
  if (failure !== undefined || moto === undefined || synapse === undefined) {
    await stopContainers();
    throw new Error('could not start the backend containers', { cause: failure?.reason });
  }

  const awsEndpoint = `http://${moto.getHost()}:${moto.getMappedPort(MOTO_CONTAINER_PORT)}`;
  if (!(await motoBackend.answers(awsEndpoint))) {
    await stopContainers();
    throw new Error(`the moto container at ${awsEndpoint} answers without moto_launcher.py's patches`);
  }
  const homeserverUrl = `http://${synapse.getHost()}:${synapse.getMappedPort(SYNAPSE_CONTAINER_PORT)}`;
  onProgress(`moto on ${awsEndpoint}, Synapse on ${homeserverUrl}`);
  return withOwnStackFile(
    describeStack({ awsEndpoint, homeserverUrl }, synapseSetup),
    'containers',
    stopContainers,
  );
}

/** Writes `info` as the stack.json of a fresh temporary folder, removed again by stop(). */
async function withOwnStackFile(
  info: StackInfo,
  source: BackendSource,
  stopBackends: () => Promise<void>,
): Promise<ResolvedBackends> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'ocf-backends-'));
  await writeStackInfo(resolveStackSettings({ stateDir }).stackInfoFile, info);
  return {
    ...info,
    source,
    stateDir,
    async stop() {
      await stopBackends();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

async function dockerAnswers(timeoutMs: number): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const gaveUp = sleep(timeoutMs, false, { ref: false });
  return Promise.race([
    getContainerRuntimeClient().then(
      () => true,
      () => false,
    ),
    gaveUp,
  ]);
}

function isSet(value: string | undefined): boolean {
  return nonEmpty(value) !== undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
