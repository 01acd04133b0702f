import { z } from 'zod';
import { commonSettings, loadConfig, type Environment } from '@ocf/config';
import { ConfigError } from '@ocf/errors';
import { agentIdSchema } from '@ocf/events';
import { NAMESPACE_PATTERN } from '@ocf/naming';

/**
 * The entrypoint's settings: names and addresses only. The agent's credentials never travel in
 * the environment; they are read from Secrets Manager (or from a file a sidecar wrote) at start.
 */
export const settings = {
  OCF_ENV: commonSettings.OCF_ENV,
  AWS_REGION: commonSettings.AWS_REGION,
  LOG_LEVEL: commonSettings.LOG_LEVEL,
  AGENT_ID: agentIdSchema,
  /** Where the agent's secret is: exactly one of the two. */
  AGENT_SECRET_ARN: z.string().startsWith('arn:').optional(),
  AGENT_SECRET_FILE: z.string().startsWith('/').optional(),
  /** The agent's private persistent storage (EFS on AWS): its OpenClaw workspace and memory. */
  AGENT_WORKSPACE: z.string().startsWith('/'),
  DIRECTORY_URL: z.url(),
  MATRIX_HOMESERVER_URL: z.url(),
  /** The agent's Matrix id; by default the bridge's `@agent-<id>:<server>` (see @ocf/naming). */
  MATRIX_USER_ID: z
    .string()
    .regex(/^@[^:]+:.+$/, 'a Matrix user id, @localpart:server')
    .optional(),
  /** The `:server` of every Matrix id; by default taken from MATRIX_USER_ID. */
  MATRIX_SERVER_NAME: z.string().min(1).optional(),
  /**
   * The bridge's BRIDGE_NAMESPACE, when several fleets share a homeserver (local `--env` fleets,
   * tests): the agent computes its own and its colleagues' user ids and its org rooms' aliases
   * with it. Provisioning passes it on; unset on AWS, where a fleet has its homeserver to itself.
   */
  MATRIX_NAMESPACE: z
    .string()
    .regex(NAMESPACE_PATTERN, '1-31 lowercase letters, digits or hyphens')
    .optional(),
  /** People who are not agents but may DM every agent (the human CEO), comma-separated Matrix ids. */
  MATRIX_ORG_HUMANS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== ''),
    )
    .default([]),
  /**
   * Where the agent's model calls go. `gateway` (the default when MODEL_GATEWAY_URL is set): the
   * fleet's model gateway, with the agent's own model key from its secret (ADR 0017). `bedrock`
   * and `openai-compatible` call a provider directly, unmetered (the default without a gateway).
   */
  MODEL_PROVIDER: z.enum(['gateway', 'bedrock', 'openai-compatible']).optional(),
  /** The fleet's model gateway (its root URL; `/v1` is added). */
  MODEL_GATEWAY_URL: z.url().optional(),
  /** The fleet's default model; the agent's own `model` in the directory wins when it has one. */
  MODEL_ID: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  /** A secret holding the OpenAI-compatible endpoint's API key, if it needs one. */
  OPENAI_API_KEY_SECRET_ARN: z.string().startsWith('arn:').optional(),
  /** Where the gateway listens (loopback only) and answers /healthz. */
  GATEWAY_PORT: z.coerce.number().int().min(1).max(65535).default(18789),
  /**
   * OpenClaw's runtime state (SQLite databases, caches, the secret file). Task-local by default
   * and deliberately not on the agent's EFS storage: see docs/adr/0009. Created and removed by
   * the entrypoint unless set.
   */
  OPENCLAW_STATE_DIR: z.string().startsWith('/').optional(),
  /** The build-time OpenClaw state that holds the installed Matrix plugin (see the Dockerfile). */
  OPENCLAW_PLUGIN_HOME: z.string().startsWith('/').optional(),
  /** How often the agent checks in on its own ("0m": never). Each check-in is a model call. */
  HEARTBEAT_EVERY: z
    .string()
    .regex(/^\d+[mh]$/, 'minutes or hours, e.g. 30m or 2h')
    .default('0m'),
  /** Replies to other agents in one conversation before the agent falls silent there. */
  LOOP_GUARD_MAX_AGENT_TURNS: z.coerce.number().int().min(0).default(4),
  LOOP_GUARD_WINDOW_SECONDS: z.coerce.number().int().positive().default(600),
  /** How long the gateway may take to connect before the entrypoint says so (it keeps waiting). */
  STARTUP_WARN_SECONDS: z.coerce.number().int().positive().default(120),
  /** SIGTERM to the gateway, then SIGKILL after this long; under ECS's 30 s stopTimeout. */
  SHUTDOWN_TIMEOUT_MS: commonSettings.SHUTDOWN_TIMEOUT_MS,
};

export type AgentConfig = Omit<z.output<z.ZodObject<typeof settings>>, 'MODEL_PROVIDER'> & {
  /** Resolved: `gateway` when MODEL_GATEWAY_URL is set and nothing else was asked for, else `bedrock`. */
  readonly MODEL_PROVIDER: 'gateway' | 'bedrock' | 'openai-compatible';
};

/**
 * Names the fleet's other parts already use for the same settings: provisioning's local runner
 * and the CDK task definition set the `OCF_AGENT_*` ones. The canonical name wins when both are
 * set.
 */
export const ALIASES: Readonly<Record<string, string>> = {
  OCF_AGENT_ID: 'AGENT_ID',
  OCF_AGENT_SECRET_ARN: 'AGENT_SECRET_ARN',
  OCF_AGENT_SECRET_FILE: 'AGENT_SECRET_FILE',
  OCF_AGENT_DATA_DIR: 'AGENT_WORKSPACE',
  OCF_AGENT_HEALTH_PORT: 'GATEWAY_PORT',
};

export function loadAgentConfig(env: Environment = process.env): AgentConfig {
  const canonical: Record<string, string | undefined> = { ...env };
  for (const [alias, name] of Object.entries(ALIASES)) {
    if ((canonical[name] ?? '') === '' && (env[alias] ?? '') !== '') canonical[name] = env[alias];
  }
  const config = loadConfig(settings, canonical);
  const problems: string[] = [];
  if ((config.AGENT_SECRET_ARN === undefined) === (config.AGENT_SECRET_FILE === undefined)) {
    problems.push('  AGENT_SECRET_ARN / AGENT_SECRET_FILE: exactly one is required');
  }
  if (config.MATRIX_USER_ID === undefined && config.MATRIX_SERVER_NAME === undefined) {
    problems.push('  MATRIX_USER_ID / MATRIX_SERVER_NAME: one is required');
  }
  const provider = config.MODEL_PROVIDER ?? (config.MODEL_GATEWAY_URL === undefined ? 'bedrock' : 'gateway');
  if (provider === 'openai-compatible' && config.OPENAI_BASE_URL === undefined) {
    problems.push('  OPENAI_BASE_URL: required when MODEL_PROVIDER=openai-compatible');
  }
  if (provider === 'gateway' && config.MODEL_GATEWAY_URL === undefined) {
    problems.push('  MODEL_GATEWAY_URL: required when MODEL_PROVIDER=gateway');
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  return { ...config, MODEL_PROVIDER: provider };
}
