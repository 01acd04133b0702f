import { createHash } from 'node:crypto';
import { agentIdSchema } from '@ocf/events';

/**
 * How fleet things are named on the homeserver. Names are the bridge's idempotency keys: an
 * agent's user id and each org room's alias are computed, never stored, so every delivery of
 * every event arrives at the same account and the same rooms. Agents compute the same names to
 * recognise fellow agents and their own org rooms, so both sides use this one module.
 */

/** The human at the root of the org chart: the manager id of everyone at the top. */
export { CEO_ID } from '@ocf/events';

/**
 * Agents live in the bridge's exclusive user namespace, `@agent-.*`: nobody else can register or
 * act as one. The homeserver's application-service registration is built from this (local-stack's
 * synapse-config.ts; infra's Synapse start.py repeats it, and a test holds the two equal).
 */
export const AGENT_LOCALPART_PREFIX = 'agent-';

/**
 * Every org room's alias starts with this, and the bridge holds `#org-.*` exclusively, as it holds
 * `@agent-.*`: nobody but the bridge can create an alias there, so no user (nor an agent, with its
 * own login) can take `#org-research-leadership` before the bridge needs it (docs/security.md).
 */
export const ROOM_ALIAS_PREFIX = 'org-';

/**
 * What a namespace may be: the same as a fleet environment's name (local-stack's `--env`,
 * `OCF_ENV`), so the fleet command can use the environment as it is. Never contains `_`, the
 * separator, so no namespace can spell another's name together with an agent id or a room.
 */
export const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9-]{0,30}$/;

/**
 * Longest slug kept as it is. Leaves room in a 255-byte alias for a namespace, a department and a
 * team slug together; longer labels are cut and made unique again by a hash of the full label.
 */
const MAX_SLUG_LENGTH = 40;
const HASH_LENGTH = 8;

/**
 * A label as it can stand in a room alias: "Research & Development" -> "research-and-development",
 * "Café Ops" -> "cafe-ops". Only `a-z`, `0-9` and single inner hyphens. A label with nothing
 * alias-safe in it (say, written in another script) becomes a stable hash, and an overlong one is
 * cut and suffixed with that hash, so every label gets a usable, deterministic slug.
 *
 * Labels that differ only in case, accents or punctuation share a slug, and so a room: "R&D" and
 * "R and D" are one department to the bridge (see ADR 0007).
 */
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

export interface NamingOptions {
  /** The `:server` part of every Matrix id. */
  readonly serverName: string;
  /**
   * Keeps several fleets apart on one homeserver (local `--env` fleets and tests do this): part of
   * every agent localpart and room alias. Undefined where a fleet has its homeserver to itself
   * (the default local fleet, and every deployed environment, which has its own homeserver).
   */
  readonly namespace?: string | undefined;
}

export interface Naming {
  readonly serverName: string;
  /** `@agent-ada-lovelace:server`, or `@agent-<namespace>_ada-lovelace:server`. */
  agentUserId(agentId: string): string;
  /** The agent id behind one of this fleet's agent user ids; undefined for anyone else. */
  agentIdOf(userId: string): string | undefined;
  /** What every agent's Matrix id starts and ends with, for code that only matches ids. */
  readonly agentUserIdAffixes: { readonly prefix: string; readonly suffix: string };
  /** The localpart of an org room's alias (what `createRoom`'s `room_alias_name` takes). */
  aliasLocalpart(base: string): string;
  /** `#org-base:server`, or `#org-<namespace>_base:server`. */
  alias(base: string): string;
}

/**
 * `_` separates the namespace because slugs and agent ids never contain it: no namespace and agent
 * id, and no namespace and room, can ever spell another's name.
 */
export function createNaming(options: NamingOptions): Naming {
  const { serverName, namespace } = options;
  if (namespace !== undefined && !NAMESPACE_PATTERN.test(namespace)) {
    throw new Error(`namespace "${namespace}" is not 1-31 lowercase letters, digits or hyphens`);
  }
  const scope = namespace === undefined ? '' : `${namespace}_`;
  const aliasPrefix = `${ROOM_ALIAS_PREFIX}${scope}`;
  const userPrefix = `@${AGENT_LOCALPART_PREFIX}${scope}`;
  const userSuffix = `:${serverName}`;

  return {
    serverName,
    agentUserId: (agentId) => `${userPrefix}${agentId}${userSuffix}`,
    agentIdOf(userId) {
      if (!userId.startsWith(userPrefix) || !userId.endsWith(userSuffix)) return undefined;
      const agentId = userId.slice(userPrefix.length, -userSuffix.length);
      return agentIdSchema.safeParse(agentId).success ? agentId : undefined;
    },
    agentUserIdAffixes: { prefix: userPrefix, suffix: userSuffix },
    aliasLocalpart: (base) => `${aliasPrefix}${base}`,
    alias: (base) => `#${aliasPrefix}${base}:${serverName}`,
  };
}

/** How an agent appears in chat: "Ada Lovelace — Staff Engineer". */
export function displayName(person: { readonly name: string; readonly title: string }): string {
  return `${person.name} — ${person.title}`;
}

/**
 * The regexes of the bridge's exclusive namespaces on `serverName`, as the homeserver's
 * application-service registration lists them: every fleet's agents and org-room aliases,
 * whatever their namespace.
 */
export function exclusiveNamespaces(serverName: string): {
  readonly users: string;
  readonly aliases: string;
} {
  const server = serverName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    users: `@${AGENT_LOCALPART_PREFIX}.*:${server}`,
    aliases: `#${ROOM_ALIAS_PREFIX}.*:${server}`,
  };
}
