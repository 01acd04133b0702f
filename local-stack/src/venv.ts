import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalStackError } from './errors.ts';
import { withLockFile } from './lock.ts';
import { logTail } from './log-tail.ts';
import { sources, venvPython } from './paths.ts';

const execFileAsync = promisify(execFile);

/** Written last, so a venv whose install was interrupted is rebuilt rather than trusted. */
const REQUIREMENTS_HASH_FILE = 'ocf-requirements.sha256';

export interface VenvRequest {
  venvDir: string;
  /** The interpreter to build the venv from. */
  python: string;
  logsDir: string;
  onProgress: (line: string) => void;
}

/**
 * Makes `venvDir` hold exactly the packages of requirements.txt and returns its python.
 * Reused as long as requirements.txt is unchanged (a hash check, no pip run), so a second `up`
 * costs nothing here; any change to the lock rebuilds the venv from scratch, because installing
 * over an old one would keep packages the new lock dropped.
 */
export async function ensureVenv(request: VenvRequest): Promise<string> {
  const python = venvPython(request.venvDir);
  const wanted = await requirementsHash();
  const upToDate = async (): Promise<boolean> =>
    existsSync(python) && (await installedHash(request.venvDir)) === wanted;
  if (await upToDate()) return python;

  // Stacks with different state folders may share one venv (OCF_VENV_DIR), so the venv has its
  // own lock; whoever waited on it finds the venv ready.
  await withLockFile(
    `${request.venvDir}.lock`,
    async () => {
      if (!(await upToDate())) await install(request, wanted);
    },
    (holder) => {
      request.onProgress(`waiting for process ${holder} to finish installing ${request.venvDir}`);
    },
  );
  return python;
}

async function install(request: VenvRequest, wanted: string): Promise<void> {
  const python = venvPython(request.venvDir);
  await assertSafeToReplace(request.venvDir);
  await assertSupportedPython(request.python);
  const logFile = path.join(request.logsDir, 'venv-install.log');
  request.onProgress(
    `installing moto and Synapse into ${request.venvDir} (first run or requirements.txt changed; ` +
      `about half a minute, output in ${logFile})`,
  );
  const started = Date.now();
  await mkdir(request.logsDir, { recursive: true });
  await runLogged(request.python, ['-m', 'venv', '--clear', request.venvDir], logFile);
  // --no-deps: the lock lists every package, so pip must not resolve (and silently add) more.
  // --only-binary: every pinned package ships wheels; an sdist build (Synapse needs Rust) would
  // mean an unsupported platform, and should fail in seconds with that message, not in minutes.
  await runLogged(
    python,
    [
      ...['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input'],
      ...['--no-deps', '--only-binary=:all:', '--requirement', sources.requirements],
    ],
    logFile,
  );
  await runLogged(python, ['-m', 'pip', 'check', '--disable-pip-version-check'], logFile);
  await writeFile(path.join(request.venvDir, REQUIREMENTS_HASH_FILE), `${wanted}\n`);
  request.onProgress(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function requirementsHash(): Promise<string> {
  return createHash('sha256')
    .update(await readFile(sources.requirements))
    .digest('hex');
}

async function installedHash(venvDir: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(venvDir, REQUIREMENTS_HASH_FILE), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** `venv --clear` empties the folder: refuse unless it is missing, empty, or already a venv. */
async function assertSafeToReplace(venvDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(venvDir);
  } catch {
    return;
  }
  if (entries.length > 0 && !entries.includes('pyvenv.cfg')) {
    throw new LocalStackError(
      'INVALID_SETTING',
      `${venvDir} is not empty and is not a Python venv; refusing to replace it. ` +
        'Point OCF_VENV_DIR at a new or venv folder.',
    );
  }
}

async function assertSupportedPython(python: string): Promise<void> {
  let version: string;
  try {
    const { stdout } = await execFileAsync(python, [
      '-c',
      'import sys; print("%d.%d" % sys.version_info[:2])',
    ]);
    version = stdout.trim();
  } catch (error) {
    throw new LocalStackError(
      'PYTHON_UNUSABLE',
      `cannot run "${python}" to build the local stack's venv. Install Python 3.10 or newer, ` +
        'or set OCF_PYTHON to its path.',
      { cause: error },
    );
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major !== 3 || minor < 10) {
    throw new LocalStackError(
      'PYTHON_UNUSABLE',
      `"${python}" is Python ${version}; Synapse needs 3.10 or newer. Set OCF_PYTHON to a newer python3.`,
    );
  }
}

async function runLogged(command: string, args: readonly string[], logFile: string): Promise<void> {
  const log = await open(logFile, 'a');
  try {
    await log.write(`\n$ ${command} ${args.join(' ')}\n`);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', log.fd, log.fd] });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (exitCode !== 0) {
      throw new LocalStackError(
        'VENV_INSTALL_FAILED',
        `"${path.basename(command)} ${args.slice(0, 3).join(' ')}" failed (exit ${exitCode}). ` +
          `Last lines of ${logFile}:\n${await logTail(logFile)}`,
      );
    }
  } finally {
    await log.close();
  }
}
