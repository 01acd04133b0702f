import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalStackError } from './errors.ts';
import { waitFor } from './wait.ts';

/**
 * Runs `action` while holding `lockFile`. Two `up`s at once (two terminals, two test runs) would
 * otherwise both start backends on the same ports, or both install into one venv; with the lock
 * the second waits, then finds the work done. A lock left by a process that is gone is taken over.
 */
export async function withLockFile<T>(
  lockFile: string,
  action: () => Promise<T>,
  onWait: (holder: number) => void,
  timeoutMs = 15 * 60_000,
): Promise<T> {
  await mkdir(path.dirname(lockFile), { recursive: true });
  let announced = false;
  const acquired = await waitFor(
    async () => {
      if (await tryCreate(lockFile)) return true;
      const holder = await lockHolder(lockFile);
      if (holder === undefined || !isAlive(holder)) {
        await rm(lockFile, { force: true });
        return false;
      }
      if (!announced) onWait(holder);
      announced = true;
      return false;
    },
    { timeoutMs, intervalMs: 200 },
  );
  if (!acquired) {
    throw new LocalStackError(
      'LOCKED',
      `process ${await lockHolder(lockFile)} has held ${lockFile} for ${timeoutMs / 60_000} minutes. ` +
        'If it is a stuck `pnpm stack up`, stop it; if that pid is not a local-stack command at all, delete the file.',
    );
  }
  try {
    return await action();
  } finally {
    await rm(lockFile, { force: true });
  }
}

/** Creates the lock with our pid already in it (write, then hard-link: readers never see it empty). */
async function tryCreate(lockFile: string): Promise<boolean> {
  const draft = `${lockFile}.${process.pid}`;
  await writeFile(draft, `${process.pid}\n`);
  try {
    await link(draft, lockFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(draft, { force: true });
  }
}

async function lockHolder(lockFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(lockFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
