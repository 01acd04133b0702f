import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  FLEET_STOPPER,
  isAlive,
  LOCAL_AGENT_FILES,
  readLocalExitFile,
  readLocalStopFileSync,
  readLocalTaskFile,
  startTicksOf,
  type LocalExitFile,
  type LocalStopFile,
  type LocalTaskFile,
} from '@ocf/agent-tasks';
import { sleep } from '@ocf/runtime';
import writeFileAtomic from 'write-file-atomic';
import { TaskRunnerError, type ObservedTask, type StopRequest, type TaskRunner } from '../ports.ts';

/**
 * What a local agent's folder holds. The health service reads the same files (task.json,
 * exit.json, stop.json: their schemas are in @ocf/agent-tasks) to watch local agents;
 * docs/fleet.md describes the layout for both.
 *
 *   <root>/<agentId>/workspace/    the agent's private storage (mode 0700), its cwd
 *   <root>/<agentId>/task.json     the running task: ARN, pid, process start time, health URL
 *   <root>/<agentId>/exit.json     how the last task ended, when provisioning saw it end
 *   <root>/<agentId>/stop.json     the last stop provisioning made on purpose, and why
 *   <root>/<agentId>/stdout.log, stderr.log   the agent's output, appended across restarts
 *   <root>/<agentId>/launch.lock   held while a launch is under way
 */
export interface LocalProcessRunnerOptions {
  /** Folder of every agent's folder; one per fleet environment. */
  readonly root: string;
  readonly environment: string;
  /** The agent entrypoint and its arguments (the agent-container's, or the stand-in). */
  readonly command: readonly string[];
  /** Settings every agent gets (besides its own): the endpoints it needs. No secrets. */
  readonly agentEnvironment?: Readonly<Record<string, string>>;
  /** How long SIGTERM has before SIGKILL. */
  readonly stopGraceMs?: number;
}

/**
 * Agents as child processes, for a laptop without Docker. Each runs detached in its own process
 * group, so a provisioning that stops or crashes leaves its agents running, and the next one
 * finds them through their task.json (pid + process start time, so a reused pid is not taken for
 * the agent). A launch holds a lock file in the agent's folder and looks for a live task first:
 * never two processes for one agent, even with two provisioning processes.
 */
export function createLocalProcessRunner(options: LocalProcessRunnerOptions): TaskRunner {
  const { root, environment } = options;
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  const folder = (agentId: string): string => join(root, agentId);

  async function launch(request: {
    agentId: string;
    clientToken: string;
    secretArn: string;
  }): Promise<{ taskArn: string }> {
    const { agentId } = request;
    const dir = folder(agentId);
    const workspace = join(dir, 'workspace');
    await mkdir(workspace, { recursive: true, mode: 0o700 });
    const release = await lock(join(dir, 'launch.lock'));
    try {
      const existing = await readLocalTaskFile(dir);
      if (existing !== undefined && isAlive(existing)) return { taskArn: existing.taskArn };

      const taskArn = `local:${environment}:${agentId}:${randomUUID()}`;
      const port = await freePort();
      const [command, ...args] = options.command;
      if (command === undefined)
        throw new TaskRunnerError('no agent command configured', { retryable: false });
      const out = await open(join(dir, 'stdout.log'), 'a');
      const err = await open(join(dir, 'stderr.log'), 'a');
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn(command, args, {
          cwd: workspace,
          detached: true,
          stdio: ['ignore', out.fd, err.fd],
          env: {
            ...options.agentEnvironment,
            OCF_ENV: environment,
            OCF_AGENT_ID: agentId,
            OCF_AGENT_SECRET_ARN: request.secretArn,
            OCF_AGENT_DATA_DIR: workspace,
            OCF_AGENT_HEALTH_PORT: String(port),
            OCF_AGENT_TASK_ARN: taskArn,
          },
        });
        await Promise.race([
          once(child, 'spawn'),
          once(child, 'error').then(([error]) => {
            throw new TaskRunnerError(`could not start agent ${agentId}: ${(error as Error).message}`, {
              retryable: false,
              cause: error,
            });
          }),
        ]);
      } finally {
        await out.close();
        await err.close();
      }
      const pid = child.pid;
      if (pid === undefined) throw new TaskRunnerError(`agent ${agentId} has no pid`, { retryable: true });
      child.once('exit', (exitCode, signal) => {
        writeJson(join(dir, LOCAL_AGENT_FILES.exit), exitRecord(dir, taskArn, exitCode, signal)).catch(
          () => undefined,
        );
      });
      child.unref();
      const task: LocalTaskFile = {
        taskArn,
        agentId,
        pid,
        startTicks: startTicksOf(pid),
        clientToken: request.clientToken,
        startedAt: new Date().toISOString(),
        command: options.command,
        healthUrl: `http://127.0.0.1:${port}/healthz`,
      };
      await writeJson(join(dir, LOCAL_AGENT_FILES.task), task);
      return { taskArn };
    } finally {
      await release();
    }
  }

  async function stop(request: StopRequest): Promise<void> {
    const agentId = request.agentId ?? request.taskArn.split(':')[2];
    if (agentId === undefined) return;
    const dir = folder(agentId);
    const task = await readLocalTaskFile(dir);
    if (task?.taskArn !== request.taskArn || !isAlive(task)) return;
    const stopFile: LocalStopFile = {
      taskArn: task.taskArn,
      reason: request.reason,
      at: new Date().toISOString(),
    };
    await writeJson(join(dir, LOCAL_AGENT_FILES.stop), stopFile);
    await terminate(task, stopGraceMs);
    await recordStopped(dir, task);
  }

  return {
    kind: 'local',

    async observe() {
      let names: string[];
      try {
        names = await readdir(root);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const observed: ObservedTask[] = [];
      for (const name of names) {
        const task = await readLocalTaskFile(folder(name));
        if (task !== undefined && isAlive(task)) {
          observed.push({ taskArn: task.taskArn, agentId: task.agentId, startedAt: task.startedAt });
        }
      }
      return observed;
    },

    launch,
    stop,

    async releaseStorage(agentId) {
      // The task is stopped (or had died before the retirement, so nothing stopped it): no
      // task.json may stay behind naming a dead pid. The workspace stays where it is, so a
      // re-hire finds its memory again (ADR 0010); exit.json and stop.json say how it ended.
      const dir = folder(agentId);
      const task = await readLocalTaskFile(dir);
      if (task !== undefined && !isAlive(task)) await removeTaskFile(dir, task.taskArn);
      return { archiveLocation: pathToFileURL(join(dir, 'workspace')).href };
    },

    async check() {
      // The folder is made at the first launch; until then its nearest existing parent must be writable.
      let dir = root;
      for (;;) {
        try {
          await access(dir, constants.W_OK);
          return;
        } catch (error) {
          const parent = dirname(dir);
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) throw error;
          dir = parent;
        }
      }
    },
  };
}

/**
 * Stops every live agent process under `root` (the fleet command's `down`); its task.json goes
 * once it has exited. No stop.json: to the health service of the next `up` the agent died (with
 * SIGTERM, says exit.json), so it asks for a restart and provisioning starts it again.
 */
export async function stopAllLocalAgents(root: string, stopGraceMs = 10_000): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const stopped: string[] = [];
  await Promise.all(
    names.map(async (name) => {
      const dir = join(root, name);
      const task = await readLocalTaskFile(dir);
      if (task !== undefined && isAlive(task)) {
        await terminate(task, stopGraceMs);
        await recordStopped(dir, task);
        stopped.push(name);
      }
    }),
  );
  return stopped.sort();
}

/**
 * After a stop on purpose: exit.json says how the task ended (its parent, maybe an earlier
 * provisioning, records the exit; if that parent is gone, we do), and task.json goes, so no file
 * names a task that no longer runs. Health tells the stop from a crash by stop.json and exit.json.
 */
async function recordStopped(dir: string, task: LocalTaskFile): Promise<void> {
  if (isAlive(task)) return; // SIGKILL did not take within its wait: it is still the live task
  const exit = await readLocalExitFile(dir);
  if (exit?.taskArn !== task.taskArn) {
    await writeJson(join(dir, LOCAL_AGENT_FILES.exit), exitRecord(dir, task.taskArn, null, 'SIGTERM'));
  }
  await removeTaskFile(dir, task.taskArn);
}

/** Removes task.json if it still names `taskArn` (a launch since may have written a new one). */
async function removeTaskFile(dir: string, taskArn: string): Promise<void> {
  const current = await readLocalTaskFile(dir);
  if (current?.taskArn === taskArn) await rm(join(dir, LOCAL_AGENT_FILES.task), { force: true });
}

/** How a task ended, marked as provisioning's doing when stop.json names it. */
function exitRecord(
  dir: string,
  taskArn: string,
  exitCode: number | null,
  signal: string | null,
): LocalExitFile {
  const stop: LocalStopFile | undefined = readLocalStopFileSync(dir);
  return {
    taskArn,
    exitCode,
    signal,
    at: new Date().toISOString(),
    ...(stop?.taskArn === taskArn ? { stoppedBy: FLEET_STOPPER, reason: stop.reason } : {}),
  };
}

async function terminate(task: LocalTaskFile, graceMs: number): Promise<void> {
  signalGroup(task.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(task) && Date.now() < deadline) await sleep(50);
  if (isAlive(task)) {
    signalGroup(task.pid, 'SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (isAlive(task) && Date.now() < killDeadline) await sleep(50);
  }
}

/** The agent leads its own process group (detached), so its children go with it. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

async function lock(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, startTicks: startTicksOf(process.pid) }));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: { pid: number; startTicks?: number } | undefined;
      try {
        holder = JSON.parse(await readFile(path, 'utf8')) as { pid: number; startTicks?: number };
      } catch {
        holder = undefined;
      }
      if (holder !== undefined && holder.pid !== process.pid && isAlive(holder)) {
        throw new TaskRunnerError(
          `another provisioning process (pid ${holder.pid}) is launching this agent`,
          {
            retryable: true,
          },
        );
      }
      // Left behind by a process that died mid-launch (or by us, crashed in the same pid).
      await rm(path, { force: true });
    }
  }
  throw new TaskRunnerError(`could not take the launch lock ${path}`, { retryable: true });
}

/**
 * Whole or not at all, and one at a time per file: a task's `exit` handler and a stop that saw
 * the task end can both record its exit at once, and two writes through one temporary name once
 * left exit.json with the tail of the other write (write-file-atomic gives each write its own
 * temporary file and queues writes to the same path).
 */
async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
