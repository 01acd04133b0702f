import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '@ocf/errors';
import type { Directory } from '../directory.ts';
import type { AgentStatus, HireRequest } from '../domain/agent.ts';
import { seesInternals, type TokenStore } from '../auth.ts';
import {
  bodyParsedBy,
  filterFromRest,
  parseAgentIdParams,
  parseHireBody,
  parseReasonBody,
  parseUpdateBody,
  withRestFields,
} from './rest-fields.ts';
import type { PositionChanges } from '../directory.ts';
import {
  agentIdParams,
  agentView as agentViewSchema,
  errorView,
  hireBody,
  listQuery,
  reasonBody,
  updateBody,
} from './schemas.ts';
import { agentView } from './views.ts';

export interface AgentRoutesDeps {
  readonly directory: Directory;
  readonly tokens: TokenStore;
}

const tags = ['agents'];
const secured = [{ bearer: [] }];

/** /v1/agents: hire, query, update, retire, rotate credentials, sleep and wake. */
export function agentRoutes(app: FastifyInstance, deps: AgentRoutesDeps): void {
  const { directory } = deps;

  app.post<{ Body: HireRequest }>(
    '/v1/agents',
    {
      config: { access: 'write' },
      validatorCompiler: bodyParsedBy((body) => parseHireBody(body)),
      schema: {
        tags,
        security: secured,
        summary: 'Hire an agent',
        description:
          'Records the agent and starts its cascade. The same hire again is accepted without effect.',
        body: hireBody,
        response: {
          202: {
            type: 'object',
            properties: {
              agentId: { type: 'string' },
              status: { type: 'string' },
              statusUrl: { type: 'string' },
              created: { type: 'boolean' },
            },
          },
          400: errorView,
          401: errorView,
          403: errorView,
          409: errorView,
        },
      },
    },
    async (request, reply) => {
      const { agent, created } = await withRestFields(() => directory.hire(request.body));
      const statusUrl = `/v1/agents/${agent.agentId}`;
      return reply
        .status(202)
        .header('location', statusUrl)
        .send({ agentId: agent.agentId, status: agent.status, statusUrl, created });
    },
  );

  app.get<{
    Querystring: {
      department?: string;
      team?: string;
      level?: 'ic';
      status?: AgentStatus;
      manager?: string;
      limit: number;
      cursor?: string;
    };
  }>(
    '/v1/agents',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security: secured,
        summary: 'List agents',
        description: 'Filters combine; `team` needs `department`. Pages follow `cursor`.',
        querystring: listQuery,
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: agentViewSchema }, cursor: { type: 'string' } },
          },
          400: errorView,
          401: errorView,
          403: errorView,
        },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const page = await directory.list(filterFromRest(filter), { limit, cursor });
      const internals = seesInternals(request);
      return {
        items: page.items.map((agent) => agentView(agent, { internals })),
        ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      };
    },
  );

  app.get<{ Params: { agentId: string } }>(
    '/v1/agents/:agentId',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security: secured,
        summary: 'One agent with its cascade status',
        description:
          "A `write` token also sees each step's detail (secret ARN, Matrix user id, task ARN); a `read` token does not.",
        params: agentIdParams,
        response: { 200: agentViewSchema, 401: errorView, 403: errorView, 404: errorView },
      },
    },
    async (request) => {
      const agent = await directory.get(request.params.agentId);
      if (agent === undefined) throw new NotFoundError(`no agent "${request.params.agentId}"`);
      return agentView(agent, { internals: seesInternals(request) });
    },
  );

  app.patch<{ Params: { agentId: string }; Body: PositionChanges }>(
    '/v1/agents/:agentId',
    {
      config: { access: 'write' },
      validatorCompiler: bodyParsedBy(parseUpdateBody, parseAgentIdParams),
      schema: {
        tags,
        security: secured,
        summary: 'Promote, transfer or change manager',
        description: 'Send only what changes; `team: null` takes the agent out of its team.',
        params: agentIdParams,
        body: updateBody,
        response: { 200: agentViewSchema, 400: errorView, 401: errorView, 403: errorView, 404: errorView },
      },
    },
    async (request) => {
      const agent = await withRestFields(() => directory.update(request.params.agentId, request.body));
      return agentView(agent, { internals: true });
    },
  );

  app.post<{ Params: { agentId: string }; Body: { reason?: string | undefined } }>(
    '/v1/agents/:agentId/retire',
    {
      config: { access: 'write' },
      validatorCompiler: bodyParsedBy(parseReasonBody, parseAgentIdParams),
      schema: {
        tags,
        security: secured,
        summary: 'Retire an agent',
        description:
          'Starts the reverse cascade. Retiring a retired agent is accepted without effect. The body is optional: send none, `{}`, or `{"reason": "..."}`.',
        params: agentIdParams,
        body: reasonBody,
        response: { 202: agentViewSchema, 401: errorView, 403: errorView, 404: errorView, 409: errorView },
      },
    },
    async (request, reply) => {
      const agent = await directory.retire(request.params.agentId, request.body.reason);
      return reply.status(202).send(agentView(agent, { internals: true }));
    },
  );

  app.post<{ Params: { agentId: string }; Body: { reason?: string | undefined } }>(
    '/v1/agents/:agentId/credentials/rotate',
    {
      config: { access: 'write' },
      validatorCompiler: bodyParsedBy(parseReasonBody, parseAgentIdParams),
      schema: {
        tags,
        security: secured,
        summary: "Rotate the agent's chat credential",
        description: 'The body is optional: send none, `{}`, or `{"reason": "..."}`.',
        params: agentIdParams,
        body: reasonBody,
        response: {
          202: { type: 'object', properties: { agentId: { type: 'string' }, rotation: { type: 'string' } } },
          401: errorView,
          403: errorView,
          404: errorView,
        },
      },
    },
    async (request, reply) => {
      await directory.requestRotation(request.params.agentId, request.body.reason);
      return reply.status(202).send({ agentId: request.params.agentId, rotation: 'requested' });
    },
  );

  // Sleep and wake now (ADR 0019): operators' requests, carried out by provisioning.
  for (const action of ['sleep', 'wake'] as const) {
    app.post<{ Params: { agentId: string } }>(
      `/v1/agents/:agentId/${action}`,
      {
        config: { access: 'write' },
        validatorCompiler: bodyParsedBy(parseReasonBody, parseAgentIdParams),
        schema: {
          tags,
          security: secured,
          summary: action === 'sleep' ? 'Put the agent to sleep now' : 'Wake the agent now',
          description:
            action === 'sleep'
              ? "Stops the agent's task on purpose; its storage, chat account, rooms and secret stay. A mention or direct message wakes it again."
              : "Starts a sleeping agent's task again; it answers what it was sent while asleep.",
          params: agentIdParams,
          response: {
            202: {
              type: 'object',
              properties: { agentId: { type: 'string' }, [action]: { type: 'string' } },
            },
            401: errorView,
            403: errorView,
            404: errorView,
          },
        },
      },
      async (request, reply) => {
        await directory.requestSleepOrWake(request.params.agentId, action);
        return reply.status(202).send({ agentId: request.params.agentId, [action]: 'requested' });
      },
    );
  }
}
