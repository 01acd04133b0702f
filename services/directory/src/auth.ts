import { createHash, randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * API tokens for mutating calls. Only a SHA-256 of each token is stored, so the table cannot
 * hand a token back to anyone; the plain token is shown once, when it is created.
 */
export interface TokenStore {
  /** The caller's name when the token is valid. */
  verify(token: string): Promise<{ name: string } | undefined>;
  /** Creates a token and returns it in plain text: the only time it exists outside its holder. */
  create(name: string): Promise<string>;
}

export const TOKEN_PREFIX = 'ocf_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function createDynamoTokenStore(client: DynamoDBClient, tableName: string): TokenStore {
  const documents = DynamoDBDocumentClient.from(client);
  return {
    async verify(token) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: { tokenHash: hashToken(token) } }),
      );
      return typeof Item?.['name'] === 'string' && Item['revokedAt'] === undefined
        ? { name: Item['name'] }
        : undefined;
    },
    async create(name) {
      const token = newToken();
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { tokenHash: hashToken(token), name, createdAt: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(tokenHash)',
        }),
      );
      return token;
    },
  };
}

export function createMemoryTokenStore(): TokenStore {
  const hashes = new Map<string, string>();
  return {
    verify(token) {
      const name = hashes.get(hashToken(token));
      return Promise.resolve(name === undefined ? undefined : { name });
    },
    create(name) {
      const token = newToken();
      hashes.set(hashToken(token), name);
      return Promise.resolve(token);
    },
  };
}

/** A preHandler for mutating routes: 401 without a valid bearer token. Never echoes the token. */
export function requireToken(tokens: TokenStore) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const caller = match?.[1] === undefined ? undefined : await tokens.verify(match[1]);
    if (caller === undefined) {
      await reply.status(401).header('www-authenticate', 'Bearer realm="open-claw-fleet"').send({
        error: 'UNAUTHENTICATED',
        message: 'this call needs a valid API token: Authorization: Bearer <token>',
      });
      return;
    }
    request.caller = caller.name;
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Name of the API token's holder, on authenticated routes. */
    caller?: string;
  }
}
