import { z } from 'zod';
import { AgentSecretError } from './errors.ts';
import { SecretText } from './secret-text.ts';

/** The version of the value format this package writes and reads. */
export const AGENT_SECRET_FORMAT_VERSION = 1;

/**
 * What an agent's secret holds (its `SecretString`, JSON), format version 1:
 *
 *     { "version": 1, "issuedAt": "2026-11-25T10:00:00.000Z", "directory": { "token": "…" },
 *       "matrix": { "accessToken": "…", "deviceId": "OCFAGENT" } }
 *
 * Two services write it, each its own part (ADR 0020): the credentials service makes the secret
 * and every rotation's new version (`issuedAt`, `directory`); the bridge then adds `matrix` to
 * the version that is current, as a version of its own.
 *
 * - `version`: of this format. Readers refuse a version they do not know instead of guessing;
 *   adding an optional field is not a new version (unknown fields are ignored), changing or
 *   removing one is.
 * - `matrix.accessToken` (optional until the bridge has made the account): the agent's Matrix
 *   access token, minted by the bridge as the homeserver's application service for the device
 *   `matrix.deviceId`. The agent container gives it to OpenClaw; nobody hashes anything.
 * - `matrix.syncFrom` (optional, added without a version bump): where the account's sync stream
 *   was when the bridge made its first session, before the agent was in any room. Not a secret.
 *   The agent container starts a gateway that has never run from there, so it answers what it was
 *   sent before its first start (ADR 0028). Kept by the bridge across its own re-mints.
 * - `matrix.password` (optional, no longer written): the login password of ADR 0006, read so
 *   that a secret written before ADR 0020 still parses. Nothing sets it on an account any more.
 * - `issuedAt`: when the credentials service made this value; every rotation makes a new one.
 * - `valueId` (optional): random, new for every value the credentials service makes. Not a secret:
 *   it makes every write a different value, so Secrets Manager refuses a second write under one
 *   request's token instead of taking it as a repeat (the idempotency of ADR 0006, which the
 *   random password used to give).
 * - `directory.token` (optional, added without a version bump): the agent's own read-only token
 *   for the directory's API (ADR 0016). Secrets written before it existed have none; the agent
 *   then reads the directory without a token, which the directory refuses, until the next
 *   rotation writes one.
 * - `model.key` (optional, added without a version bump): the agent's own key for the fleet's
 *   model gateway (ADR 0017), bound to the secret version it was written into, so every rotation
 *   makes a new one. Secrets written before it existed have none; the gateway then answers 401
 *   until the next rotation writes one.
 *
 * Every secret string is parsed into a SecretText, so a parsed value that ends up in a log line
 * prints `[REDACTED]`.
 */
function printableSecret(minLength: number) {
  return z
    .string()
    .min(minLength)
    .max(512)
    .regex(/^[\x21-\x7e]+$/)
    .transform((text) => new SecretText(text));
}

export const agentSecretValueSchema = z.object({
  version: z.literal(AGENT_SECRET_FORMAT_VERSION),
  matrix: z
    .object({
      // Printable ASCII without spaces: safe in an HTTP body, an env file or a shell, unquoted.
      accessToken: printableSecret(16).optional(),
      deviceId: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/)
        .optional(),
      password: printableSecret(32).optional(),
      // Not a secret: a position in the homeserver's sync stream (ADR 0028).
      syncFrom: z
        .string()
        .max(512)
        .regex(/^[\x21-\x7e]+$/)
        .optional(),
    })
    .optional(),
  issuedAt: z.iso.datetime({ offset: true }),
  valueId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/)
    .optional(),
  directory: z
    .object({
      token: printableSecret(16),
    })
    .optional(),
  model: z
    .object({
      key: printableSecret(16),
    })
    .optional(),
});

/** A parsed agent secret: its secrets stay wrapped until someone calls `reveal()`. */
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
    issuedAt: value.issuedAt,
    ...(value.valueId === undefined ? {} : { valueId: value.valueId }),
    ...(value.matrix === undefined ? {} : { matrix: serializeMatrix(value.matrix) }),
    ...(value.directory === undefined ? {} : { directory: { token: value.directory.token.reveal() } }),
    ...(value.model === undefined ? {} : { model: { key: value.model.key.reveal() } }),
  };
  validate(json);
  return new SecretText(JSON.stringify(json));
}

function serializeMatrix(matrix: NonNullable<AgentSecretValue['matrix']>): Record<string, string> {
  return {
    ...(matrix.accessToken === undefined ? {} : { accessToken: matrix.accessToken.reveal() }),
    ...(matrix.deviceId === undefined ? {} : { deviceId: matrix.deviceId }),
    ...(matrix.password === undefined ? {} : { password: matrix.password.reveal() }),
    ...(matrix.syncFrom === undefined ? {} : { syncFrom: matrix.syncFrom }),
  };
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
