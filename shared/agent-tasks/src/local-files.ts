import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { FLEET_STOPPER } from './fleet-stop.ts';

/**
 * The files of a local agent's folder that provisioning's local runner writes and the health
 * service reads (docs/fleet.md):
 *
 *   <root>/<agentId>/task.json     the running task: ARN, pid, process start time, health URL
 *   <root>/<agentId>/exit.json     how the last task ended, when provisioning saw it end
 *   <root>/<agentId>/stop.json     the last stop provisioning made on purpose, and why
 *
 * Readers parse them: a file that is missing, half-written or not what this says reads as no
 * file at all, the same as before its writer got to it.
 */
export const LOCAL_AGENT_FILES = { task: 'task.json', exit: 'exit.json', stop: 'stop.json' } as const;

const REPOSITORY = resolve(import.meta.dirname, '../../..');

/** Where every local agent's folder lives unless configured: `.local-stack/agents/<env>`. */
export function defaultLocalAgentsDir(environment: string): string {
  return resolve(REPOSITORY, '.local-stack', 'agents', environment);
}

export const localTaskFileSchema = z.object({
  taskArn: z.string().min(1),
  agentId: z.string().min(1),
  pid: z.number().int().positive(),
  /** /proc start time of the process (clock ticks since boot): tells a reused pid apart. */
  startTicks: z.number().optional(),
  clientToken: z.string(),
  startedAt: z.string(),
  command: z.array(z.string()).readonly(),
  healthUrl: z.string(),
});
export type LocalTaskFile = Readonly<z.infer<typeof localTaskFileSchema>>;

export const localExitFileSchema = z.object({
  taskArn: z.string().min(1),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  at: z.string(),
  /** Set when provisioning stopped the task on purpose: health must not count it as a crash. */
  stoppedBy: z.literal(FLEET_STOPPER).optional(),
  reason: z.string().optional(),
});
export type LocalExitFile = Readonly<z.infer<typeof localExitFileSchema>>;

/** Written just before provisioning signals a task, so its exit is known to be on purpose. */
export const localStopFileSchema = z.object({
  taskArn: z.string().min(1),
  reason: z.string(),
  at: z.string(),
});
export type LocalStopFile = Readonly<z.infer<typeof localStopFileSchema>>;

/** The agent folder's task.json, or undefined when there is none (or none readable). */
export async function readLocalTaskFile(dir: string): Promise<LocalTaskFile | undefined> {
  return parse(localTaskFileSchema, await readText(join(dir, LOCAL_AGENT_FILES.task)));
}

export async function readLocalExitFile(dir: string): Promise<LocalExitFile | undefined> {
  return parse(localExitFileSchema, await readText(join(dir, LOCAL_AGENT_FILES.exit)));
}

export async function readLocalStopFile(dir: string): Promise<LocalStopFile | undefined> {
  return parse(localStopFileSchema, await readText(join(dir, LOCAL_AGENT_FILES.stop)));
}

/** Synchronous, for a child process's `exit` handler, which cannot wait. */
export function readLocalStopFileSync(dir: string): LocalStopFile | undefined {
  let text: string | undefined;
  try {
    text = readFileSync(join(dir, LOCAL_AGENT_FILES.stop), 'utf8');
  } catch {
    text = undefined;
  }
  return parse(localStopFileSchema, text);
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parse<T>(schema: z.ZodType<T>, text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
