import path from 'node:path';

const localStackDir = path.resolve(import.meta.dirname, '..');
const pythonDir = path.join(localStackDir, 'python');

/** Where the launcher's own sources live (they travel with the checkout, not the state folder). */
export const sources = {
  requirements: path.join(pythonDir, 'requirements.txt'),
  motoLauncher: path.join(pythonDir, 'moto_launcher.py'),
  motoSmokeCheck: path.join(pythonDir, 'smoke_moto.py'),
  composeFile: path.join(localStackDir, 'compose.yaml'),
} as const;

/** The default state folder: `.local-stack/` at the repository root, git-ignored. */
export const defaultStateDir = path.join(localStackDir, '..', '.local-stack');

/** Everything one stack writes, derived from its state folder so two stacks never share a file. */
export interface StackLayout {
  stateDir: string;
  venvDir: string;
  logsDir: string;
  /** pid files and the lock: what tells `down` and `status` which processes are this stack's. */
  runDir: string;
  synapseDir: string;
  /** moto's saved state (moto_launcher.py --state-file): what makes the local AWS data survive. */
  motoStateFile: string;
  /** Endpoints and secrets for code (tests, `fleet up`), mode 0600. */
  stackInfoFile: string;
  lockFile: string;
}

export function stackLayout(stateDir: string, venvDir: string): StackLayout {
  const runDir = path.join(stateDir, 'run');
  return {
    stateDir,
    venvDir,
    logsDir: path.join(stateDir, 'logs'),
    runDir,
    synapseDir: path.join(stateDir, 'synapse'),
    motoStateFile: path.join(stateDir, 'moto', 'state.pickle'),
    stackInfoFile: path.join(stateDir, 'stack.json'),
    lockFile: path.join(runDir, 'stack.lock'),
  };
}

export function venvPython(venvDir: string): string {
  return path.join(venvDir, 'bin', 'python');
}
