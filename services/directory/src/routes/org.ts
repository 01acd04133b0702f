import type { FastifyInstance } from 'fastify';
import type { Directory } from '../directory.ts';
import type { StoredAgent } from '../ports.ts';
import type { TokenStore } from '../auth.ts';
import { isActive, type HireRequest } from '../domain/agent.ts';
import { bodyParsedBy, parseImportBody } from './rest-fields.ts';
import { errorView, importBody } from './schemas.ts';
import { departmentSpend, orgChart } from './views.ts';

export interface OrgRoutesDeps {
  readonly directory: Directory;
  readonly tokens: TokenStore;
}

const tags = ['org'];

/** The org as a whole: the chart, and loading a company from a file. */
export function orgRoutes(app: FastifyInstance, deps: OrgRoutesDeps): void {
  app.get(
    '/v1/org-chart',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: 'The org chart as a tree under the CEO (active agents only)',
      },
    },
    async () => {
      const agents: StoredAgent[] = [];
      let cursor: string | undefined;
      do {
        const page = await deps.directory.list({}, { limit: 500, cursor });
        agents.push(...page.items.filter(isActive));
        cursor = page.cursor;
      } while (cursor !== undefined);
      return orgChart(agents);
    },
  );

  app.get(
    '/v1/spend',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: "This month's model spend per department, from the model gateway's reports",
        response: {
          200: {
            type: 'object',
            properties: {
              month: { type: 'string' },
              costUsd: { type: 'number' },
              departments: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    department: { type: 'string' },
                    costUsd: { type: 'number' },
                    calls: { type: 'integer' },
                    tokensIn: { type: 'integer' },
                    tokensOut: { type: 'integer' },
                    agents: { type: 'integer' },
                  },
                },
              },
            },
          },
          401: errorView,
        },
      },
    },
    async () => {
      const agents: StoredAgent[] = [];
      let cursor: string | undefined;
      do {
        const page = await deps.directory.list({}, { limit: 500, cursor });
        agents.push(...page.items);
        cursor = page.cursor;
      } while (cursor !== undefined);
      return departmentSpend(agents, new Date().toISOString().slice(0, 7));
    },
  );

  app.post<{ Body: HireRequest[] }>(
    '/v1/org/import',
    {
      validatorCompiler: bodyParsedBy(parseImportBody),
      // A whole company: ~250 bytes per agent, up to the schema's 5,000 agents.
      bodyLimit: 4 * 1024 * 1024,
      config: { access: 'write' },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: 'Hire a whole org from a file',
        description:
          'Hires managers before their reports. Agents already hired with the same position are left as they are. Each refusal is listed with its reason; the rest still go ahead.',
        body: importBody,
        response: {
          200: {
            type: 'object',
            properties: {
              hired: { type: 'integer' },
              unchanged: { type: 'integer' },
              refused: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { agentId: { type: 'string' }, reason: { type: 'string' } },
                },
              },
            },
          },
          400: errorView,
          401: errorView,
          403: errorView,
        },
      },
    },
    async (request) => deps.directory.importOrg(request.body),
  );
}
