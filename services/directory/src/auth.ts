import { createHash, randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAgentDirectoryToken, verifyAgentDirectoryToken, type SecretText } from '@ocf/secrets';

/**
 * Who may call what (ADR 0016). Every route needs a token but health, readiness and the OpenAPI
 * document. `read` answers queries (what an agent's directory tool needs); `write` is an
 * operator's: hire, retire, update, import, rotate, and reads with the cascade's internals.
 */
export type Scope = 'read' | 'write';
export const SCOPES: readonly Scope[] = ['read', 'write'];

/** What a route asks of its caller: declared in its `config.access`; a route that says nothing needs `write`. */
export type Access = Scope | 'public';

/** The routes anyone may call: probes (registered by @ocf/http) and the API's own description. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/openapi.json']);

export interface Caller {
  /** The token holder's name; `agent:<agentId>` for an agent's own token. */
  readonly name: string;
  readonly scope: Scope;
}

/**
 * Operators' API tokens. Only a SHA-256 of each token is stored, so the table cannot hand a
 * token back to anyone; the plain token is shown once, when it is created.
 */
export interface TokenStore {
  /** The caller when the token is valid. */
  verify(token: string): Promise<Caller | undefined>;
  /** Creates a token and returns it in plain text: the only time it exists outside its holder. */
  create(name: string, scope: Scope): Promise<string>;
}

export const TOKEN_PREFIX = 'ocf_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Tokens made before scopes existed were all operators' (writes needed them, reads did not). */
function scopeOf(stored: unknown): Scope {
  return stored === 'read' ? 'read' : 'write';
}

export function createDynamoTokenStore(client: DynamoDBClient, tableName: string): TokenStore {
  const documents = DynamoDBDocumentClient.from(client);
  return {
    async verify(token) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: { tokenHash: hashToken(token) } }),
      );
      return typeof Item?.['name'] === 'string' && Item['revokedAt'] === undefined
        ? { name: Item['name'], scope: scopeOf(Item['scope']) }
        : undefined;
    },
    async create(name, scope) {
      const token = newToken();
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { tokenHash: hashToken(token), name, scope, createdAt: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(tokenHash)',
        }),
      );
      return token;
    },
  };
}

export function createMemoryTokenStore(): TokenStore {
  const callers = new Map<string, Caller>();
  return {
    verify(token) {
      return Promise.resolve(callers.get(hashToken(token)));
    },
    create(name, scope) {
      const token = newToken();
      callers.set(hashToken(token), { name, scope });
      return Promise.resolve(token);
    },
  };
}

/** The fleet's agent-token key, or undefined while there is none (no agent has credentials yet). */
export type AgentTokenKeySource = () => Promise<SecretText | undefined>;

export interface AgentTokenSettings {
  /** OCF_ENV: agent tokens are bound to one fleet. */
  readonly environment: string;
  readonly key: AgentTokenKeySource;
  /** Whether the agent is a current member of the org: a retired agent's token is refused. */
  readonly isActive: (agentId: string) => Promise<boolean>;
}

/** Operators' tokens from the table; agents' own tokens (from their secrets) by their MAC. */
export function createAuthenticator(
  tokens: TokenStore,
  agentTokens?: AgentTokenSettings,
): (token: string) => Promise<Caller | undefined> {
  return async (token) => {
    if (!isAgentDirectoryToken(token)) return tokens.verify(token);
    if (agentTokens === undefined) return undefined;
    const key = await agentTokens.key();
    if (key === undefined) return undefined;
    const agentId = verifyAgentDirectoryToken(key, agentTokens.environment, token);
    if (agentId === undefined || !(await agentTokens.isActive(agentId))) return undefined;
    // Always read-only, whatever the agent's level: agents never change the org themselves.
    return { name: `agent:${agentId}`, scope: 'read' };
  };
}

/**
 * Guards every route of `app` (registered before or after this call): 401 without a valid bearer
 * token, 403 when the token's scope is not the one the route needs. Never echoes the token.
 * Runs on `onRequest`, before bodies are parsed, so an anonymous caller learns nothing from
 * validation errors either.
 */
export function guardRoutes(
  app: FastifyInstance,
  authenticate: (token: string) => Promise<Caller | undefined>,
): void {
  // Every route registered from here on, with what it asks for: tests walk it, so a new route
  // is checked without anyone remembering to add it to a list.
  const table: RouteAccess[] = [];
  app.decorate('routeAccess', table);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      table.push({
        method,
        url: route.url,
        access: PUBLIC_PATHS.has(route.url) ? 'public' : (route.config?.access ?? 'write'),
      });
  });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = accessOf(request);
    if (access === 'public') return;
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const caller = match?.[1] === undefined ? undefined : await authenticate(match[1]);
    if (caller === undefined) {
      await reply.status(401).header('www-authenticate', 'Bearer realm="open-claw-fleet"').send({
        error: 'UNAUTHENTICATED',
        message: 'this call needs a valid API token: Authorization: Bearer <token>',
      });
      return reply;
    }
    if (access === 'write' && caller.scope !== 'write') {
      await reply.status(403).send({
        error: 'FORBIDDEN',
        message: `this call needs a token with scope "write"; this token has scope "${caller.scope}"`,
      });
      return reply;
    }
    request.caller = caller;
    return undefined;
  });
}

/** What the matched route asks for. No route matched (a 404 to be) counts as `write`. */
export function accessOf(request: FastifyRequest): Access {
  if (PUBLIC_PATHS.has(request.routeOptions.url ?? '')) return 'public';
  return request.routeOptions.config.access ?? 'write';
}

/** Whether the caller may see the cascade's internals (secret ARNs, Matrix ids, task ARNs). */
export function seesInternals(request: FastifyRequest): boolean {
  return request.caller?.scope === 'write';
}

export interface RouteAccess {
  readonly method: string;
  readonly url: string;
  readonly access: Access;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The routes guardRoutes saw registered, with their access (for tests and reviews). */
    routeAccess: readonly RouteAccess[];
  }
  interface FastifyRequest {
    /** The token's holder and scope, on guarded routes. */
    caller?: Caller;
  }
  interface FastifyContextConfig {
    /** Who may call the route; absent means `write` (see guardRoutes). */
    access?: Access;
  }
}
