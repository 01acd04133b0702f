import { mkdir } from 'node:fs/promises';
import {
  backendStatus,
  backendUrl,
  ensureRunning,
  stopBackend,
  type BackendKind,
  type BackendLaunch,
  type BackendName,
  type BackendStatus,
} from './backend.ts';
import { withLockFile } from './lock.ts';
import { moto, motoLaunch } from './moto.ts';
import { resolveStackSettings, type StackOptions, type StackSettings } from './settings.ts';
import { describeStack, removeStackInfo, writeStackInfo, type StackInfo } from './stack-info.ts';
import { prepareSynapse, synapse, synapseLaunch } from './synapse.ts';
import { ensureVenv } from './venv.ts';

const backends: readonly BackendKind[] = [moto, synapse];

export interface StackUpResult {
  info: StackInfo;
  stateDir: string;
  /** Started by this call: what a caller that wants to clean up after itself should stop. */
  started: BackendName[];
  /** Already running and healthy, left alone. */
  reused: BackendName[];
}

/**
 * Starts whatever part of the stack is not running yet and waits until every backend answers.
 * Idempotent: a healthy stack is left as it is. If one backend fails, the ones this call started
 * are stopped again, because a half stack only produces confusing test failures.
 */
export async function stackUp(options: StackOptions = {}): Promise<StackUpResult> {
  const settings = resolveStackSettings(options);
  await mkdir(settings.logsDir, { recursive: true });
  return withLockFile(settings.lockFile, () => upLocked(settings), onWait(settings));
}

async function upLocked(settings: StackSettings): Promise<StackUpResult> {
  const python = await ensureVenv(settings);
  const { configFile, setup } = await prepareSynapse(settings);
  const launches = [
    motoLaunch(python, settings.motoPort, settings.motoStateFile),
    synapseLaunch(python, settings.synapsePort, configFile),
  ];
  const outcomes = await Promise.allSettled(
    launches.map((launch) => ensureRunningAndReport(launch, settings)),
  );

  const started = launches.filter((_, i) => settledValue(outcomes[i]) === 'started').map((l) => l.name);
  const reused = launches.filter((_, i) => settledValue(outcomes[i]) === 'reused').map((l) => l.name);
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure !== undefined) {
    for (const launch of launches.filter((l) => started.includes(l.name))) {
      await stopBackend(launch, settings);
    }
    throw failure.reason;
  }

  const info = describeStack(
    { awsEndpoint: backendUrl(settings.motoPort), homeserverUrl: backendUrl(settings.synapsePort) },
    setup,
  );
  await writeStackInfo(settings.stackInfoFile, info);
  return { info, stateDir: settings.stateDir, started, reused };
}

async function ensureRunningAndReport(
  launch: BackendLaunch,
  settings: StackSettings,
): Promise<'started' | 'reused'> {
  const begun = performance.now();
  const outcome = await ensureRunning(launch, settings);
  const seconds = ((performance.now() - begun) / 1000).toFixed(1);
  settings.onProgress(
    outcome === 'started'
      ? `${launch.name} started on ${backendUrl(launch.port)} (ready in ${seconds} s)`
      : `${launch.name} already running on ${backendUrl(launch.port)}`,
  );
  return outcome;
}

function settledValue<T>(outcome: PromiseSettledResult<T> | undefined): T | undefined {
  return outcome?.status === 'fulfilled' ? outcome.value : undefined;
}

export interface StackDownOptions extends StackOptions {
  /** Stop only these backends (default: all). */
  only?: readonly BackendName[];
}

/**
 * Stops the stack's backends (SIGTERM to each process group, SIGKILL after a grace period) and
 * returns once none of their processes is left. Data (Synapse's database, the venv) stays.
 */
export async function stackDown(options: StackDownOptions = {}): Promise<{ stopped: BackendName[] }> {
  const settings = resolveStackSettings(options);
  const chosen = backends.filter((kind) => options.only === undefined || options.only.includes(kind.name));
  return withLockFile(
    settings.lockFile,
    async () => {
      const stopped: BackendName[] = [];
      for (const kind of chosen) {
        if (await stopBackend(kind, settings)) stopped.push(kind.name);
      }
      // The file describes a whole, running stack; after any stop it would point at nothing.
      await removeStackInfo(settings.stackInfoFile);
      return { stopped };
    },
    onWait(settings),
  );
}

export async function stackStatus(options: StackOptions = {}): Promise<BackendStatus[]> {
  const settings = resolveStackSettings(options);
  return Promise.all(backends.map((kind) => backendStatus(kind, settings)));
}

function onWait(settings: StackSettings): (holder: number) => void {
  return (holder) => {
    settings.onProgress(`waiting for another start or stop of this stack (pid ${holder}) to finish`);
  };
}
