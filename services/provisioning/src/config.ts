import { resolve } from 'node:path';
import { z } from 'zod';
import { commonSettings, requiredWhen } from '@ocf/config';
import { NAMESPACE_PATTERN } from '@ocf/naming';

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

const command = z.string().transform((value, context) => {
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((p) => typeof p === 'string')) {
      return parsed;
    }
  } catch {
    // reported below
  }
  context.addIssue({ code: 'custom', message: 'a JSON array of strings: the program and its arguments' });
  return z.NEVER;
});

const environmentObject = z.string().transform((value, context) => {
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const entries = Object.entries(parsed);
      if (entries.every(([, v]) => typeof v === 'string')) return Object.fromEntries(entries);
    }
  } catch {
    // reported below
  }
  context.addIssue({ code: 'custom', message: 'a JSON object of strings: variable name to value' });
  return z.NEVER;
});

/** The stand-in agent, until the agent-container's entrypoint exists (see docs/fleet.md). */
export const STAND_IN_AGENT = resolve(import.meta.dirname, '../scripts/stand-in-agent.ts');

/** The provisioning service's settings, on top of the common ones (see shared/config). */
export const settings = {
  PORT: commonSettings.PORT.default(8084),
  /** Where agents run: `ecs` (AWS, or the emulator's ECS) or `local` (child processes on this machine). */
  AGENT_RUNNER: z.enum(['local', 'ecs']).default('local'),
  /**
   * Every agent is reconciled at least this often, whatever the events say: the level-triggered
   * safety net, read a page at a time spread over this interval (ADR 0029). Events reconcile the
   * agents they name at once.
   */
  PROVISIONING_RESYNC_MS: z.coerce.number().int().min(100).default(60_000),
  /** Agent records per resync page (a DynamoDB Scan `Limit`). */
  PROVISIONING_RESYNC_PAGE_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
  /** Fargate's task-launch quota: a burst, then a rate per second (shared by the account and Region). */
  PROVISIONING_LAUNCH_BURST: z.coerce.number().int().min(1).default(100),
  PROVISIONING_LAUNCH_RATE: z.coerce.number().positive().default(20),
  /** RunTask calls in flight at once. */
  PROVISIONING_LAUNCH_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),

  // --- ECS (AGENT_RUNNER=ecs) ---
  /** The agents' cluster; default `ocf-<env>-agents`. */
  AGENT_CLUSTER: z.string().min(1).optional(),
  /** The base task definition (family or ARN) each agent's own definition is made from; default `ocf-<env>-agent`. */
  AGENT_TASK_DEFINITION: z.string().min(1).optional(),
  /** The agent's container in it; default its first essential container. */
  AGENT_CONTAINER_NAME: z.string().min(1).optional(),
  /** Private subnets and security groups for the agents' tasks (comma-separated). */
  AGENT_SUBNETS: list.optional(),
  AGENT_SECURITY_GROUPS: list.optional(),
  /** The EFS file system that holds every agent's private directory. */
  AGENT_FILE_SYSTEM_ID: z.string().min(1).optional(),
  /** Where an agent's private storage is mounted in its container. */
  AGENT_DATA_MOUNT_PATH: z.string().startsWith('/').default('/agent-data'),

  /**
   * The bridge's namespace on a homeserver several fleets share (BRIDGE_NAMESPACE), handed to every
   * agent as MATRIX_NAMESPACE so it computes the same user ids and room aliases as the bridge.
   * Set by the fleet command for every local fleet but the default one; unset on AWS.
   */
  /**
   * The fleet's model gateway, handed to every agent as MODEL_GATEWAY_URL (ADR 0017): its model
   * calls go there, with its own key. Unset: agents use whatever model settings they are given.
   */
  AGENT_MODEL_GATEWAY_URL: z.url().optional(),
  /**
   * People (not agents) who may send every agent a direct message, comma-separated Matrix ids —
   * the human CEO, and whoever chats from the web console — handed to every agent as
   * MATRIX_ORG_HUMANS (its OpenClaw DM allow-list). Unset: only fellow agents may.
   */
  AGENT_ORG_HUMANS: z
    .string()
    .regex(/^\s*@[^:\s,]+:[^\s,]+(\s*,\s*@[^:\s,]+:[^\s,]+)*\s*$/, 'comma-separated Matrix ids, @name:server')
    .optional(),
  MATRIX_NAMESPACE: z
    .string()
    .regex(NAMESPACE_PATTERN, '1-31 lowercase letters, digits or hyphens')
    .optional(),

  // --- local processes (AGENT_RUNNER=local) ---
  /** Every agent's folder lives here; default `.local-stack/agents/<env>` in the repository. */
  LOCAL_AGENTS_DIR: z.string().min(1).optional(),
  /** The agent entrypoint as a JSON array, e.g. `["node","agent-container/src/main.ts"]`; default: the stand-in. */
  LOCAL_AGENT_COMMAND: command.optional(),
  /** Settings every local agent gets, as a JSON object (e.g. the agent entrypoint's DIRECTORY_URL). */
  LOCAL_AGENT_ENV: environmentObject.optional(),
  /**
   * Variables of this process that agents inherit: endpoints, never credentials. Against the
   * emulator (AWS_ENDPOINT_URL set) agents get its dummy credentials to read their secret by ARN.
   */
  LOCAL_AGENT_PASS_ENV: list.default([
    'PATH',
    'HOME',
    'LANG',
    'TZ',
    'AWS_ENDPOINT_URL',
    'AWS_REGION',
    'MATRIX_HOMESERVER_URL',
    'OCF_STACK_DIR',
  ]),
  /**
   * SIGTERM, then SIGKILL after this long: enough for a real gateway's clean shutdown and its state
   * copy (ADR 0019), like ECS's 30 s stopTimeout.
   */
  LOCAL_AGENT_STOP_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
};

/** What the ECS runner cannot do without (the local runner needs none of it). */
export const checkSettings = requiredWhen<z.output<z.ZodObject<typeof settings>>>(
  (config) => config.AGENT_RUNNER === 'ecs',
  ['AGENT_SUBNETS', 'AGENT_SECURITY_GROUPS', 'AGENT_FILE_SYSTEM_ID'],
  'AGENT_RUNNER=ecs',
);
