import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { orgFileJsonSchema, validateOrgFile, type ValidOrg } from '@ocf/org-file';
import type { Directory } from '../directory.ts';
import type { StoredAgent } from '../ports.ts';
import type { TokenStore } from '../auth.ts';
import type { Logger } from '@ocf/logging';
import { isActive, type HireRequest } from '../domain/agent.ts';
import { bodyParsedBy, parseImportBody, restField } from './rest-fields.ts';
import type { OrgPlan } from '../domain/org-plan.ts';
import { errorView, importBody, orgApplyResult, orgPlanView } from './schemas.ts';
import { departmentSpend, orgChart } from './views.ts';

export interface OrgRoutesDeps {
  readonly directory: Directory;
  readonly tokens: TokenStore;
  readonly logger: Logger;
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
          'Hires a few agents at a time (DIRECTORY_IMPORT_CONCURRENCY), each manager before its reports. Agents already hired with the same position are left as they are. Each refusal is listed with its reason; the rest still go ahead, except the reports of a refused manager, which are refused too.',
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

  const orgBody = {
    type: 'object',
    additionalProperties: false,
    required: ['org'],
    properties: {
      org: orgDocument(),
      prune: {
        type: 'boolean',
        default: false,
        description: 'Also retire active agents the file does not name.',
      },
    },
  };
  const invalidOrg = {
    type: 'object',
    properties: {
      error: { type: 'string', enum: ['INVALID_ORG'] },
      message: { type: 'string' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          properties: { path: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  };

  /** The body read whole: the org, or a 400 naming every error in it (and nothing is done). */
  const readOrg = (body: unknown, reply: FastifyReply): { org: ValidOrg; prune: boolean } | undefined => {
    const { org, prune } = (body ?? {}) as { org?: unknown; prune?: unknown };
    const result = validateOrgFile(org);
    const errors = result.ok
      ? []
      : result.errors.map((e) => ({ ...e, path: `org.${e.path}`.replace(/\.$/, '') }));
    if (prune !== undefined && typeof prune !== 'boolean')
      errors.push({ path: 'prune', code: 'INVALID_FIELD', message: 'prune must be true or false' });
    const unknown = Object.keys(body ?? {}).filter((key) => key !== 'org' && key !== 'prune');
    for (const key of unknown)
      errors.push({ path: key, code: 'UNKNOWN_FIELD', message: `${key} is not a known field` });
    if (!result.ok || errors.length > 0) {
      void reply.status(400).send({
        error: 'INVALID_ORG',
        message: `the org file has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was changed`,
        errors,
      });
      return undefined;
    }
    return { org: result.org, prune: prune === true };
  };
  // The body is read by readOrg, which names every error; Fastify's validation would stop at one.
  const passThrough = () => (data: unknown) => ({ value: data });

  app.post(
    '/v1/org/plan',
    {
      validatorCompiler: passThrough,
      bodyLimit: 4 * 1024 * 1024,
      config: { access: 'read' },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: 'The changes that would make the org match an org file',
        description:
          'Nothing is changed. Hires (managers first), updates (promotions, moves, renames) and, with `prune`, retirements of active agents the file does not name. An invalid org file is refused whole with every error named by its path.',
        body: orgBody,
        response: { 200: orgPlanView, 400: invalidOrg, 401: errorView, 403: errorView },
      },
    },
    async (request, reply) => {
      const read = readOrg(request.body, reply);
      if (read === undefined) return reply;
      return planView(await deps.directory.planOrg(read.org, { prune: read.prune }));
    },
  );

  app.post(
    '/v1/org/apply',
    {
      validatorCompiler: passThrough,
      bodyLimit: 4 * 1024 * 1024,
      config: { access: 'write' },
      schema: {
        tags,
        security: [{ bearer: [] }],
        summary: 'Make the org match an org file',
        description:
          'Plans against the org as it stands and makes the changes through the same rules and events as single hires, updates and retirements. Idempotent: applying the same file again does nothing; after an interruption, applying it again does what is left (ADR 0023). With `accept: application/x-ndjson` the answer is a stream of lines: `{"type":"progress","done":n,"total":m,...}` after the plan and after every change, then `{"type":"result",...}` (or `{"type":"error",...}`).',
        body: orgBody,
        response: { 200: orgApplyResult, 400: invalidOrg, 401: errorView, 403: errorView },
      },
    },
    async (request, reply) => {
      const read = readOrg(request.body, reply);
      if (read === undefined) return reply;
      if (!(request.headers.accept ?? '').includes('application/x-ndjson'))
        return deps.directory.applyOrg(read.org, { prune: read.prune });
      const lines = new PassThrough();
      const write = (value: unknown) => lines.write(`${JSON.stringify(value)}\n`);
      void reply.type('application/x-ndjson').send(lines);
      try {
        const result = await deps.directory.applyOrg(read.org, {
          prune: read.prune,
          onProgress: ({ done, total, change }) =>
            write({
              type: 'progress',
              done,
              total,
              ...(change === undefined ? {} : { action: change.action, agentId: change.agentId }),
            }),
        });
        write({ type: 'result', ...result });
      } catch (error) {
        deps.logger.error('org apply failed', { error });
        write({
          type: 'error',
          error: 'APPLY_INTERRUPTED',
          message: 'the apply stopped on an internal error; apply the same file again to finish it',
        });
      }
      lines.end();
      return reply;
    },
  );
}

/** The org file's JSON Schema, without the keys that only make sense at a document's root. */
function orgDocument(): Record<string, unknown> {
  const { $id: _id, $schema: _schema, ...schema } = orgFileJsonSchema();
  return schema;
}

/** A plan as the API shows it: the manager is `manager`, as everywhere else in the API. */
export function planView(plan: OrgPlan) {
  const rest = (value: object) =>
    Object.fromEntries(Object.entries(value).map(([key, v]) => [restField(key), v ?? null]));
  return {
    ...plan,
    changes: plan.changes.map((change) =>
      change.action === 'hire'
        ? { ...change, position: rest(change.position) }
        : change.action === 'update'
          ? { ...change, changes: rest(change.changes), previous: rest(change.previous) }
          : change,
    ),
  };
}
