import { z } from 'zod';
import { ConfigError } from '@ocf/errors';

/**
 * Settings every service reads. Services extend this with their own and parse once at boot:
 * a missing or malformed setting stops the process with a message naming each one at fault.
 */
export const commonSettings = {
  /** Names the fleet: every AWS resource and Matrix namespace carries it. */
  OCF_ENV: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'lowercase letters, digits and hyphens')
    .default('local'),
  AWS_REGION: z.string().min(1, 'required'),
  /** Set locally (the emulator); unset on AWS. Read by the AWS SDK itself as well. */
  AWS_ENDPOINT_URL: z.url().optional(),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
  /** How long SIGTERM may take before the process exits anyway (ECS stopTimeout is 30 s). */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(25_000),
  /**
   * `self-signed`: the HTTP side serves HTTPS only, with a key and certificate made in memory at
   * start (on AWS, for the load balancer's hop to its targets; ADR 0027). `off`: plain HTTP.
   */
  HTTP_TLS: z.enum(['off', 'self-signed']).default('off'),
  /**
   * How many of its queue's messages a service handles at once. Most handlers wait on the network
   * (DynamoDB, the homeserver, ECS), not the CPU, so a service whose queue backs up during a large
   * import (the bridge: several homeserver calls per event) can take more at once.
   */
  QUEUE_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
} satisfies z.ZodRawShape;

export type CommonConfig = z.output<z.ZodObject<typeof commonSettings>>;

export type Environment = Readonly<Record<string, string | undefined>>;

/** A check between settings, run once each setting parsed on its own; it adds an issue per fault. */
export type SettingsCheck<TConfig> = (config: TConfig, context: z.RefinementCtx) => void;

/** Settings that are optional in general but required when `applies` (e.g. the ECS runner's). */
export function requiredWhen<TConfig>(
  applies: (config: TConfig) => boolean,
  names: readonly (keyof TConfig & string)[],
  when: string,
): SettingsCheck<TConfig> {
  return (config, context) => {
    if (!applies(config)) return;
    for (const name of names) {
      const value = config[name] as unknown;
      if (value === undefined || (Array.isArray(value) && value.length === 0)) {
        context.addIssue({ code: 'custom', path: [name], message: `required when ${when}` });
      }
    }
  };
}

/** Parses `env` against a settings shape (and check); throws ConfigError naming every bad setting. */
export function loadConfig<TShape extends z.ZodRawShape>(
  shape: TShape,
  env: Environment = process.env,
  check?: SettingsCheck<z.output<z.ZodObject<TShape>>>,
): z.output<z.ZodObject<TShape>> {
  // Treat empty strings as unset: `FOO=` in a .env file means "not given".
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const schema = check === undefined ? z.object(shape) : z.object(shape).superRefine(check);
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.map(String).join('.');
    const missing = issue.code === 'invalid_type' && present[name] === undefined;
    return `  ${name}: ${missing ? 'required but not set' : issue.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}
