/**
 * Redaction for everything the fleet logs. Two nets, because one is not enough:
 * - by key: any field named like a credential is replaced, whatever it holds;
 * - by shape: strings that carry a bearer token, an access_token parameter or a Matrix access
 *   token are scrubbed even inside free text (error messages, URLs, request dumps).
 * ARNs and ids of secrets are fine to log (`secretArn`, `tokenId`): they name, they do not unlock.
 */
export const REDACTED = '[REDACTED]';

const SENSITIVE_KEY =
  /pass(word|phrase)?|secret|token|authori[sz]ation|cookie|credential|api[-_]?key|private[-_]?key|access[-_]?key|signature|session/i;
const HARMLESS_SUFFIX = /(arn|id|ids|name|names|type|count|expires(at)?|version|ttl|length|hash)$/i;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key) && !HARMLESS_SUFFIX.test(key);
}

const VALUE_PATTERNS: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/(\b(?:access_token|token|password|passwd|secret)=)[^&\s"']+/gi, `$1${REDACTED}`],
  // Matrix access tokens (syt_...), and generic "password": "..." fragments in dumped JSON.
  [/\bsyt_[A-Za-z0-9_-]+/g, REDACTED],
  [
    /("(?:password|access_token|as_token|hs_token|registration_shared_secret|secret)"\s*:\s*)"[^"]*"/gi,
    `$1"${REDACTED}"`,
  ],
];

export function scrubText(text: string): string {
  let result = text;
  for (const [pattern, replacement] of VALUE_PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

/** A JSON.stringify replacer applying both nets. Errors become plain objects first. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && isSensitiveKey(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return scrubText(value);
  if (value instanceof Error) return serialiseError(value);
  return value;
}

function serialiseError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: scrubText(error.message),
    ...(typeof code === 'string' ? { code } : {}),
    ...(error.stack === undefined ? {} : { stack: scrubText(error.stack) }),
    ...(error.cause === undefined
      ? {}
      : { cause: error.cause instanceof Error ? serialiseError(error.cause) : error.cause }),
  };
}
