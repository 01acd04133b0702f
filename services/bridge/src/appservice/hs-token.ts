import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether the homeserver presented the token the registration gave it. Compared in constant time
 * over fixed-length digests, so neither the content nor the length of the real token leaks through
 * how long a wrong guess takes to refuse.
 */
export function tokenMatches(expected: string, presented: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

/**
 * The token of a request: `Authorization: Bearer ...`, or the `access_token` query parameter that
 * homeservers sent before the specification moved it into the header (v1.4).
 */
export function presentedToken(authorization: string | undefined, query: unknown): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  const legacy = (query as { access_token?: unknown } | undefined)?.access_token;
  return typeof legacy === 'string' && legacy !== '' ? legacy : undefined;
}
