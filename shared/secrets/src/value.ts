import { z } from 'zod';
import { AgentSecretError } from './errors.ts';
import { SecretText } from './secret-text.ts';

/** The version of the value format this package writes and reads. */
export const AGENT_SECRET_FORMAT_VERSION = 1;

/**
 * What an agent's secret holds (its `SecretString`, JSON), format version 1:
 *
 *     { "version": 1, "matrix": { "password": "…" }, "issuedAt": "2026-11-25T10:00:00.000Z" }
 *
 * - `version`: of this format. Readers refuse a version they do not know instead of guessing;
 *   adding an optional field is not a new version (unknown fields are ignored), changing or
 *   removing one is.
 * - `matrix.password`: the agent's Matrix login password. The bridge sets it on the agent's
 *   account; the agent container logs in with it. Parsed into a SecretText, so a parsed value
 *   that ends up in a log line prints `[REDACTED]`.
 * - `issuedAt`: when this value was made; every rotation makes a new one.
 * - `directory.token` (optional, added without a version bump): the agent's own read-only token
 *   for the directory's API (ADR 0016). Secrets written before it existed have none; the agent
 *   then reads the directory without a token, which the directory refuses, until the next
 *   rotation writes one.
 * - `model.key` (optional, added without a version bump): the agent's own key for the fleet's
 *   model gateway (ADR 0017), bound to the secret version it was written into, so every rotation
 *   makes a new one. Secrets written before it existed have none; the gateway then answers 401
 *   until the next rotation writes one.
 */
export const agentSecretValueSchema = z.object({
  version: z.literal(AGENT_SECRET_FORMAT_VERSION),
  matrix: z.object({
    // Printable ASCII without spaces: safe in an HTTP body, an env file or a shell, unquoted.
    password: z
      .string()
      .min(32)
      .max(512)
      .regex(/^[\x21-\x7e]+$/)
      .transform((password) => new SecretText(password)),
  }),
  issuedAt: z.iso.datetime({ offset: true }),
  directory: z
    .object({
      token: z
        .string()
        .min(16)
        .max(512)
        .regex(/^[\x21-\x7e]+$/)
        .transform((token) => new SecretText(token)),
    })
    .optional(),
  model: z
    .object({
      key: z
        .string()
        .min(16)
        .max(512)
        .regex(/^[\x21-\x7e]+$/)
        .transform((key) => new SecretText(key)),
    })
    .optional(),
});

/** A parsed agent secret: the password stays wrapped until someone calls `reveal()`. */
export type AgentSecretValue = z.output<typeof agentSecretValueSchema>;

/** Reads an agent secret's `SecretString`. Throws AgentSecretError, whose message names fields only. */
export function parseAgentSecretValue(secretString: string | SecretText): AgentSecretValue {
  const text = typeof secretString === 'string' ? secretString : secretString.reveal();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input, which is the secret.
    throw invalid('agent secret value is not JSON');
  }
  const version =
    typeof json === 'object' && json !== null ? (json as { version?: unknown }).version : undefined;
  if (typeof version === 'number' && version !== AGENT_SECRET_FORMAT_VERSION) {
    throw invalid(
      `agent secret format version ${version} is not supported (this reader knows version ${AGENT_SECRET_FORMAT_VERSION})`,
    );
  }
  return validate(json);
}

/** Writes an agent secret's `SecretString`, checking it against the format first. */
export function serializeAgentSecretValue(value: AgentSecretValue): SecretText {
  const json = {
    version: value.version,
    matrix: { password: value.matrix.password.reveal() },
    issuedAt: value.issuedAt,
    ...(value.directory === undefined ? {} : { directory: { token: value.directory.token.reveal() } }),
    ...(value.model === undefined ? {} : { model: { key: value.model.key.reveal() } }),
  };
  validate(json);
  return new SecretText(JSON.stringify(json));
}

function validate(json: unknown): AgentSecretValue {
  const result = agentSecretValueSchema.safeParse(json);
  if (result.success) return result.data;
  // Paths and issue codes only: zod's messages are value-free today, but this is the one place
  // where "today" is not good enough.
  const issues = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(value)'}: ${issue.code}`);
  throw invalid(`agent secret value does not match the format: ${issues.join('; ')}`);
}

function invalid(message: string): AgentSecretError {
  return new AgentSecretError('AGENT_SECRET_VALUE_INVALID', message);
}
