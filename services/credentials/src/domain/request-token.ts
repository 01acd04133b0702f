import { createHash } from 'node:crypto';

/**
 * The ClientRequestToken of a write, derived from the event that asked for it. Secrets Manager
 * makes the token the new version's id and refuses to reuse it, so every delivery of one event
 * names the same version: a redelivered rotation request cannot add a second version.
 *
 * Shaped as a UUID (RFC 9562 version 8, the layout for name-based custom UUIDs): Secrets Manager
 * wants 32 to 64 characters and shows version ids as UUIDs.
 */
export function requestToken(purpose: 'issue' | 'rotate', eventId: string): string {
  const bytes = createHash('sha256').update(`ocf-credentials:${purpose}:${eventId}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
