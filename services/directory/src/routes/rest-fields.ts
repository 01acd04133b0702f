import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '@ocf/errors';
import { catalogue, reasonSchema } from '@ocf/events';
import { agentIdFromName, type HireRequest } from '../domain/agent.ts';
import type { PositionChanges } from '../directory.ts';

/**
 * The REST API's bodies, read with the very schemas the events use (AgentHired for a hire, the
 * AgentUpdated changes for an update): one validation, the same answer on both paths, and no
 * type coercion (`"name": 42` is refused, not stored as "42"). Errors name the body's field.
 *
 * The API calls the manager `manager`; the domain and the events call it `managerId`. This file
 * is the only place that translates between the two, both ways.
 */
const REST_NAMES: Readonly<Record<string, string>> = { managerId: 'manager' };
const DOMAIN_NAMES: Readonly<Record<string, string>> = { manager: 'managerId' };

/** `managerId` -> `manager`; every other field is called the same on both sides. */
export function restField(domainField: string): string {
  return REST_NAMES[domainField] ?? domainField;
}

function fromRest(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [DOMAIN_NAMES[key] ?? key, value]));
}

/** The REST view of a domain value: `managerId` shown as `manager`. */
export function toRest<T extends { readonly managerId: string }>(
  value: T,
): Omit<T, 'managerId'> & { manager: string } {
  const { managerId, ...rest } = value;
  return { ...rest, manager: managerId };
}

const HIRE_FIELDS = [
  'agentId',
  'name',
  'title',
  'level',
  'department',
  'team',
  'manager',
  'roleTemplate',
  'model',
  'skills',
  'monthlyBudgetUsd',
  'wakePolicy',
  'idleTimeoutSeconds',
];
const UPDATE_FIELDS = [
  'name',
  'title',
  'level',
  'department',
  'team',
  'manager',
  'monthlyBudgetUsd',
  'wakePolicy',
  'idleTimeoutSeconds',
];

/** A hire body (the REST shape of AgentHired) as a hire request. `agentId` defaults to a slug of the name. */
export function parseHireBody(
  body: unknown,
  path = 'body',
  options: { requireAgentId?: boolean } = {},
): HireRequest {
  const fields = knownFields(body, path, HIRE_FIELDS);
  if (options.requireAgentId === true && fields['agentId'] === undefined)
    throw new ValidationError(`${path}.agentId is required`, { field: `${path}.agentId` });
  const derived = fields['agentId'] === undefined && typeof fields['name'] === 'string';
  const data = fromRest({
    ...fields,
    ...(derived ? { agentId: agentIdFromName(fields['name'] as string) } : {}),
  });
  const hint = derived ? ` (derived from the name "${String(fields['name'])}"; give an agentId)` : '';
  return parseWith(catalogue.AgentHired.schema, data, path, (field) => (field === 'agentId' ? hint : ''));
}

/** An org file: `{ agents: [hire body with agentId, ...] }`, each entry read as a hire body. */
export function parseImportBody(body: unknown): HireRequest[] {
  const { agents } = knownFields(body, 'body', ['agents']);
  if (!Array.isArray(agents) || agents.length === 0 || agents.length > 5000)
    throw new ValidationError('body.agents must be a list of 1 to 5000 hires', { field: 'body.agents' });
  return agents.map((entry, index) =>
    parseHireBody(entry, `body.agents[${index}]`, { requireAgentId: true }),
  );
}

/** What an update may change: the very schema of AgentUpdated's `changes`. */
const updateSchema = catalogue.AgentUpdated.schema.shape.changes;

/** A PATCH body as position changes; `team: null` leaves the team. */
export function parseUpdateBody(body: unknown): PositionChanges {
  const fields = knownFields(body, 'body', UPDATE_FIELDS);
  if (Object.keys(fields).length === 0)
    throw new ValidationError('body must name at least one change', { field: 'body' });
  const { team, monthlyBudgetUsd, wakePolicy, idleTimeoutSeconds, ...changes } = parseWith(
    updateSchema,
    fromRest(fields),
    'body',
  );
  // `null` for these means "back to the default": unset (for the budget: no limit of its own).
  return {
    ...changes,
    ...(team === undefined ? {} : { team: team ?? undefined }),
    ...(monthlyBudgetUsd === undefined ? {} : { monthlyBudgetUsd: monthlyBudgetUsd ?? undefined }),
    ...(wakePolicy === undefined ? {} : { wakePolicy: wakePolicy ?? undefined }),
    ...(idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: idleTimeoutSeconds ?? undefined }),
  } as PositionChanges;
}

const agentIdParamsSchema = z.object({ agentId: z.string().min(1).max(64) });

/** `/v1/agents/{agentId}/...` path parameters (the route's JSON schema, for routes that read their body here). */
export function parseAgentIdParams(params: unknown): { agentId: string } {
  return parseWith(agentIdParamsSchema, params, 'params');
}

/** The list filters of `GET /v1/agents` (`manager` is the domain's `managerId`). */
export function filterFromRest<T extends { readonly manager?: string | undefined }>(
  query: T,
): Omit<T, 'manager'> & { managerId?: string | undefined } {
  const { manager, ...rest } = query;
  return { ...rest, managerId: manager };
}

const reasonBodySchema = z.object({ reason: reasonSchema.optional() });

/** A retirement's or rotation's body: optional, and so is its `reason`. */
export function parseReasonBody(body: unknown): { reason?: string | undefined } {
  if (body === undefined || body === null) return {};
  return parseWith(reasonBodySchema, knownFields(body, 'body', ['reason']), 'body');
}

/**
 * A Fastify validator compiler that reads the route's body with `parse` (the JSON schema stays in
 * the route for the OpenAPI document only). Other parts of the request keep Fastify's validation.
 */
export function bodyParsedBy(
  parse: (body: unknown) => unknown,
  parseParams: (params: unknown) => unknown = (params) => params,
): FastifySchemaCompiler<unknown> {
  return ({ httpPart }) =>
    (data: unknown) => {
      try {
        if (httpPart === 'params') return { value: parseParams(data) };
        if (httpPart !== 'body') return { value: data };
        return { value: parse(data) };
      } catch (error) {
        return { error: error as Error };
      }
    };
}

/** Org-rule errors name domain fields (`managerId`); the API's callers know them as body fields. */
export async function withRestFields<T>(action: () => Promise<T>, path = 'body'): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ValidationError && error.field !== undefined && !error.field.includes('.')) {
      const field = `${path}.${restField(error.field)}`;
      throw new ValidationError(error.message, {
        field,
        code: error.code,
        cause: error,
        issues: [{ field, message: error.message }],
      });
    }
    throw error;
  }
}

function knownFields(body: unknown, path: string, known: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationError(`${path} must be a JSON object`, { field: path });
  const unknown = Object.keys(body).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    const issues = unknown.map((key) => ({
      field: `${path}.${key}`,
      message: `${path}.${key} is not a known field`,
    }));
    throw new ValidationError(issues.map((i) => i.message).join('; '), {
      field: `${path}.${unknown[0] ?? ''}`,
      issues,
    });
  }
  return body as Record<string, unknown>;
}

/** Parses with a zod schema; every issue is named by its REST field under `path`. */
function parseWith<S extends z.ZodType>(
  schema: S,
  data: unknown,
  path: string,
  hint: (field: string) => string = () => '',
): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 10).map((issue) => {
    const [first, ...rest] = issue.path.map(String);
    const field = [path, ...(first === undefined ? [] : [restField(first)]), ...rest].join('.');
    return { field, message: `${field}: ${issue.message}${first === undefined ? '' : hint(first)}` };
  });
  throw new ValidationError(issues.map((i) => i.message).join('; '), {
    field: issues[0]?.field ?? path,
    issues,
  });
}
