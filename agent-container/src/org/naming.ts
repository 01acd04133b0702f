import { createHash } from 'node:crypto';
import type { Person } from './people.ts';

/**
 * How the fleet names things on the homeserver: agents' user ids and the org rooms' aliases.
 * The bridge creates them (services/bridge/src/domain/naming.ts and org-rooms.ts); the agent only
 * needs to recognise them, to decide which invitations to accept and where to answer. The two
 * must agree, so this is a copy of the bridge's rules, kept in step by the tests in
 * test/naming.test.ts until the rules move to shared/ (services cannot be imported from here).
 */

const MAX_SLUG_LENGTH = 40;
const HASH_LENGTH = 8;

/** A label as it stands in a room alias: "Research & Development" -> "research-and-development". */
export function slug(label: string): string {
  const readable = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replaceAll('&', ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (readable.length > 0 && readable.length <= MAX_SLUG_LENGTH) return readable;
  const hash = createHash('sha256').update(label.trim()).digest('hex').slice(0, HASH_LENGTH);
  if (readable.length === 0) return `x-${hash}`;
  const cut = readable.slice(0, MAX_SLUG_LENGTH - HASH_LENGTH - 1).replace(/-+$/, '');
  return `${cut}-${hash}`;
}

export interface Naming {
  /** `@agent-ada:server`, or `@agent-<namespace>_ada:server`. */
  agentUserId(agentId: string): string;
  /** Whether a Matrix user is one of this fleet's agents (the bridge's exclusive namespace). */
  isAgent(userId: string): boolean;
  /** `#base:server`, with the namespace. */
  alias(base: string): string;
  /** What every agent's Matrix id starts and ends with, for code that only matches ids. */
  readonly agentUserIdAffixes: { readonly prefix: string; readonly suffix: string };
}

export function createNaming(options: { serverName: string; namespace?: string | undefined }): Naming {
  const scope = options.namespace === undefined ? '' : `${options.namespace}_`;
  const userPrefix = `@agent-${scope}`;
  const userSuffix = `:${options.serverName}`;
  return {
    agentUserId: (agentId) => `${userPrefix}${agentId}${userSuffix}`,
    isAgent: (userId) => userId.startsWith(userPrefix) && userId.endsWith(userSuffix),
    alias: (base) => `#${scope}${base}:${options.serverName}`,
    agentUserIdAffixes: { prefix: userPrefix, suffix: userSuffix },
  };
}

/** The human at the root of the org chart, as the directory names it. */
export const CEO = 'ceo';

/**
 * The aliases of every org room this person belongs in: the company, their department's
 * leadership (VPs and directors), their team, and one room with their manager and one with each
 * direct report.
 */
export function orgRoomAliases(naming: Naming, person: Person, reports: readonly Person[]): string[] {
  const aliases = [naming.alias('all-employees')];
  if (person.level === 'vp' || person.level === 'director') {
    aliases.push(naming.alias(`${slug(person.department)}-leadership`));
  }
  if (person.team !== undefined) {
    aliases.push(naming.alias(`${slug(person.department)}.${slug(person.team)}-team`));
  }
  aliases.push(naming.alias(`dm.${person.manager}.${person.agentId}`));
  for (const report of reports) aliases.push(naming.alias(`dm.${person.agentId}.${report.agentId}`));
  return aliases;
}
