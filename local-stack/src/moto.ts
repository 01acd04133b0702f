import type { BackendKind, BackendLaunch } from './backend.ts';
import { sources } from './paths.ts';
import { probe } from './wait.ts';

/**
 * The ECS task transition moto_launcher.py pins (PINNED_ECS_TASK_TRANSITION there). Reading it
 * back is the readiness probe: it proves the server on the port is moto, started by the launcher,
 * with its patches applied; a plain moto, or anything else, fails it.
 */
const PINNED_ECS_TASK_TRANSITION = { progression: 'manual', times: Number.MAX_SAFE_INTEGER } as const;

export const moto: BackendKind = {
  name: 'moto',
  portSetting: 'OCF_MOTO_PORT',
  readyTimeoutMs: 30_000,
  async answers(url) {
    const response = await probe(`${url}/moto-api/state-manager/get-transition?model_name=ecs::task`);
    if (response?.status !== 200) return false;
    try {
      const transition: unknown = JSON.parse(response.body);
      return (
        typeof transition === 'object' &&
        transition !== null &&
        'progression' in transition &&
        'times' in transition &&
        transition.progression === PINNED_ECS_TASK_TRANSITION.progression &&
        transition.times === PINNED_ECS_TASK_TRANSITION.times
      );
    } catch {
      return false;
    }
  },
};

/** `stateFile`: where moto keeps its state across restarts (ADR 0015). */
export function motoLaunch(python: string, port: number, stateFile: string): BackendLaunch {
  return {
    ...moto,
    port,
    command: [
      python,
      sources.motoLauncher,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--state-file',
      stateFile,
    ],
    identity: `${sources.motoLauncher} --host 127.0.0.1 --port ${port}`,
  };
}
