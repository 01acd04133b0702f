import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '@ocf/errors';
import { roomKey, type Naming } from '@ocf/naming';
import type { Directory } from '../directory.ts';
import { agentIdParams, errorView } from './schemas.ts';

export interface ChatRoutesDeps {
  readonly directory: Directory;
  /** The fleet's Matrix names (server name, namespace): what the bridge names accounts and rooms with. */
  readonly naming: Naming;
}

/**
 * GET /v1/agents/{agentId}/chat: where a person talks to an agent — its Matrix user id (the
 * console opens the person's direct chat with it, which the bridge accepts for the agent), and
 * the alias of the agent's room with its manager (the bridge makes it and invites the human CEO;
 * for an agent reporting to the CEO it is their direct chat). Names only, no secret: a read token
 * may ask.
 */
export function chatRoutes(app: FastifyInstance, deps: ChatRoutesDeps): void {
  const { directory, naming } = deps;
  app.get<{ Params: { agentId: string } }>(
    '/v1/agents/:agentId/chat',
    {
      config: { access: 'read' },
      schema: {
        tags: ['agents'],
        security: [{ bearer: [] }],
        summary: "Where to talk to the agent on the fleet's homeserver",
        params: agentIdParams,
        response: {
          200: {
            type: 'object',
            properties: { agentUserId: { type: 'string' }, roomAlias: { type: 'string' } },
          },
          401: errorView,
          404: errorView,
        },
      },
    },
    async (request) => {
      const agent = await directory.get(request.params.agentId);
      if (agent === undefined) throw new NotFoundError(`no agent "${request.params.agentId}"`);
      return {
        agentUserId: naming.agentUserId(agent.agentId),
        roomAlias: naming.alias(
          roomKey({ kind: 'direct', managerId: agent.managerId, reportId: agent.agentId }),
        ),
      };
    },
  );
}
