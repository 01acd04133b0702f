import { z } from 'zod';
import {
  agentIdSchema,
  CEO_ID,
  idleTimeoutSecondsSchema,
  labelSchema,
  levelSchema,
  usdSchema,
  wakePolicySchema,
  type Level,
  type WakePolicy,
} from '@ocf/events';

/**
 * The org as code: one file (YAML or JSON) naming every department, team and person of the
 * organisation. The directory plans and applies it (POST /v1/org/plan, /v1/org/apply), `ocf org
 * export` writes it, and docs/org-file.schema.json (generated from `orgFileSchema`, so editors
 * validate with the very rules the directory does) describes it.
 *
 * The fields are the ones a hire carries (AgentHired's schemas): an org file that validates here
 * never fails a hire for its shape, only for the org as it stands.
 */

/** Who may report to whom: a manager must outrank the report; the human CEO outranks everyone. */
export const LEVEL_RANK: Readonly<Record<Level | 'ceo', number>> = {
  ceo: 6,
  executive: 5,
  vp: 4,
  director: 3,
  manager: 2,
  ic: 1,
};

const departmentSchema = z
  .strictObject({
    name: labelSchema,
    teams: z.array(labelSchema).max(500).optional(),
  })
  .describe('A department and the teams in it (team names are per department).');

const personSchema = z
  .strictObject({
    id: agentIdSchema.describe("The agent id (and chat username): stable for the agent's whole life."),
    name: labelSchema,
    title: labelSchema,
    level: levelSchema,
    department: labelSchema.describe('One of `departments[].name`.'),
    team: labelSchema.optional().describe("One of the department's `teams`."),
    manager: z
      .union([agentIdSchema, z.literal(CEO_ID)])
      .describe('The id of another person in this file, or "ceo" (the human at the root).'),
    wakePolicy: wakePolicySchema
      .optional()
      .describe(
        "always-on, or on-demand: asleep when idle, woken when addressed (ADR 0019). Absent: the fleet's default for the level.",
      ),
    idleTimeoutSeconds: idleTimeoutSecondsSchema
      .optional()
      .describe("How long an on-demand agent may be idle before it sleeps. Absent: the fleet's default."),
    monthlyBudgetUsd: usdSchema
      .optional()
      .describe(
        "What the agent may spend on model calls per calendar month (UTC), in US dollars (ADR 0017). Absent: no budget of its own (the department's and the fleet's still apply).",
      ),
  })
  .describe(
    'One agent of the org. The file is the whole truth: a setting left out is the fleet default, and apply puts it back to that.',
  );

export const orgFileSchema = z
  .strictObject({
    version: z.literal(1).describe('The format version; 1 is the only one so far.'),
    departments: z.array(departmentSchema).max(500),
    people: z.array(personSchema).max(5000),
  })
  .describe('An Open-Claw-Fleet organisation: every department, team and person.');

export type OrgFile = z.input<typeof orgFileSchema>;
export type OrgDepartment = z.output<typeof departmentSchema>;
export type OrgPerson = z.output<typeof personSchema>;

/** The published JSON Schema of the org file (docs/org-file.schema.json is this, written out). */
export function orgFileJsonSchema(): Record<string, unknown> {
  return {
    $id: 'urn:open-claw-fleet:org-file:v1',
    title: 'Open-Claw-Fleet org file, version 1',
    ...z.toJSONSchema(orgFileSchema, { io: 'input', unrepresentable: 'any' }),
  };
}

export type OrgFileErrorCode =
  | 'INVALID_FIELD'
  | 'UNKNOWN_FIELD'
  | 'CONTROL_CHARACTER'
  | 'DUPLICATE_ID'
  | 'DUPLICATE_DEPARTMENT'
  | 'UNKNOWN_DEPARTMENT'
  | 'UNKNOWN_TEAM'
  | 'UNKNOWN_MANAGER'
  | 'REPORTING_CYCLE'
  | 'LEVEL_CANNOT_REPORT';

/** One thing wrong with an org file, named by its path in the file (`people[3].manager`). */
export interface OrgFileError {
  readonly path: string;
  readonly code: OrgFileErrorCode;
  readonly message: string;
}

/** A person as the directory's domain speaks of them (the manager is `managerId`). */
export interface AgentPosition {
  readonly agentId: string;
  readonly name: string;
  readonly title: string;
  readonly level: Level;
  readonly department: string;
  readonly team?: string | undefined;
  readonly managerId: string;
  readonly wakePolicy?: WakePolicy | undefined;
  readonly idleTimeoutSeconds?: number | undefined;
  readonly monthlyBudgetUsd?: number | undefined;
}

export interface ValidOrg {
  readonly departments: readonly OrgDepartment[];
  /** Every person, in file order. */
  readonly people: readonly AgentPosition[];
}

/**
 * Reads an org file whole: either the org, or every error in it (not just the first), each named
 * by its path. Entries with a broken shape are still counted for ids, so a later duplicate or an
 * unknown manager is reported too; the org rules (manager known, level, cycle) are checked on the
 * entries whose shape is right.
 */
export function validateOrgFile(
  input: unknown,
): { ok: true; org: ValidOrg } | { ok: false; errors: OrgFileError[] } {
  const errors: OrgFileError[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ path: '', code: 'INVALID_FIELD', message: 'an org file is an object' }] };
  }
  const file = input as Record<string, unknown>;
  for (const key of Object.keys(file)) {
    if (!['version', 'departments', 'people'].includes(key))
      errors.push({ path: key, code: 'UNKNOWN_FIELD', message: `${key} is not a known field` });
  }
  if (file['version'] !== 1)
    errors.push({ path: 'version', code: 'INVALID_FIELD', message: 'version must be 1' });

  const departments = new Map<string, Set<string>>();
  const departmentList: OrgDepartment[] = [];
  if (!Array.isArray(file['departments'])) {
    errors.push({ path: 'departments', code: 'INVALID_FIELD', message: 'departments must be a list' });
  } else {
    file['departments'].forEach((entry, index) => {
      const path = `departments[${index}]`;
      const parsed = departmentSchema.safeParse(entry);
      if (!parsed.success) return errors.push(...issuesAt(path, parsed.error));
      if (departments.has(parsed.data.name)) {
        return errors.push({
          path: `${path}.name`,
          code: 'DUPLICATE_DEPARTMENT',
          message: `department "${parsed.data.name}" is listed twice`,
        });
      }
      departments.set(parsed.data.name, new Set(parsed.data.teams ?? []));
      departmentList.push(parsed.data);
    });
  }

  const people: { index: number; person: AgentPosition }[] = [];
  const firstIndexOf = new Map<string, number>();
  if (!Array.isArray(file['people'])) {
    errors.push({ path: 'people', code: 'INVALID_FIELD', message: 'people must be a list' });
  } else if (file['people'].length > 5000) {
    errors.push({ path: 'people', code: 'INVALID_FIELD', message: 'an org file names at most 5000 people' });
  } else {
    file['people'].forEach((entry, index) => {
      const path = `people[${index}]`;
      const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
      if (typeof id === 'string') {
        const first = firstIndexOf.get(id);
        if (first !== undefined) {
          errors.push({
            path: `${path}.id`,
            code: 'DUPLICATE_ID',
            message: `"${id}" is already the id of people[${first}]`,
          });
        } else {
          firstIndexOf.set(id, index);
        }
      }
      const parsed = personSchema.safeParse(entry);
      if (!parsed.success) return errors.push(...issuesAt(path, parsed.error));
      const { id: agentId, manager, ...position } = parsed.data;
      if (firstIndexOf.get(agentId) === index)
        people.push({ index, person: { agentId, ...position, managerId: manager } });
    });
  }

  const byId = new Map(people.map((p) => [p.person.agentId, p]));
  for (const { index, person } of people) {
    const path = `people[${index}]`;
    const teams = departments.get(person.department);
    if (Array.isArray(file['departments']) && teams === undefined) {
      errors.push({
        path: `${path}.department`,
        code: 'UNKNOWN_DEPARTMENT',
        message: `"${person.department}" is not one of the departments`,
      });
    } else if (person.team !== undefined && teams !== undefined && !teams.has(person.team)) {
      errors.push({
        path: `${path}.team`,
        code: 'UNKNOWN_TEAM',
        message: `"${person.team}" is not a team of ${person.department}`,
      });
    }
    if (person.managerId === person.agentId) {
      errors.push({
        path: `${path}.manager`,
        code: 'REPORTING_CYCLE',
        message: `${person.agentId} reports to itself`,
      });
      continue;
    }
    let managerLevel: Level | 'ceo' = 'ceo';
    if (person.managerId !== CEO_ID) {
      const manager = byId.get(person.managerId);
      if (manager === undefined) {
        // A manager whose own entry is broken is reported there, not again here.
        if (!firstIndexOf.has(person.managerId)) {
          errors.push({
            path: `${path}.manager`,
            code: 'UNKNOWN_MANAGER',
            message: `"${person.managerId}" is neither a person in this file nor "ceo"`,
          });
        }
        continue;
      }
      managerLevel = manager.person.level;
    }
    if (LEVEL_RANK[managerLevel] <= LEVEL_RANK[person.level]) {
      errors.push({
        path: `${path}.level`,
        code: 'LEVEL_CANNOT_REPORT',
        message: `a ${person.level} cannot report to a ${managerLevel} (${person.managerId})`,
      });
    }
  }
  errors.push(...cycles(people, byId));

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, org: { departments: departmentList, people: people.map((p) => p.person) } };
}

/** Every person in a reporting loop, each named with the loop it is in. */
function cycles(
  people: readonly { index: number; person: AgentPosition }[],
  byId: ReadonlyMap<string, { index: number; person: AgentPosition }>,
): OrgFileError[] {
  const settled = new Set<string>();
  const errors: OrgFileError[] = [];
  for (const start of people) {
    const chain: string[] = [];
    const onChain = new Set<string>();
    let current: string | undefined = start.person.agentId;
    while (current !== undefined && !settled.has(current) && !onChain.has(current)) {
      chain.push(current);
      onChain.add(current);
      const next: string | undefined = byId.get(current)?.person.managerId;
      current = next === undefined || next === current ? undefined : next;
    }
    if (current !== undefined && onChain.has(current)) {
      const loop = chain.slice(chain.indexOf(current));
      for (const id of loop) {
        const entry = byId.get(id);
        if (entry === undefined) continue;
        errors.push({
          path: `people[${entry.index}].manager`,
          code: 'REPORTING_CYCLE',
          message: `reporting cycle: ${[...loop.slice(loop.indexOf(id)), ...loop.slice(0, loop.indexOf(id)), id].join(' -> ')}`,
        });
      }
    }
    for (const id of chain) settled.add(id);
  }
  return errors;
}

function issuesAt(base: string, error: z.ZodError): OrgFileError[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return {
        path: base,
        code: 'UNKNOWN_FIELD' as const,
        message: `${issue.keys.map((key) => `${base}.${key}`).join(', ')}: not a known field`,
      };
    }
    const path = [
      base,
      ...issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)),
    ].join('');
    const control = issue.message.includes('control characters');
    return {
      path: path.replace(/\.\[/g, '['),
      code: control ? ('CONTROL_CHARACTER' as const) : ('INVALID_FIELD' as const),
      message: issue.message,
    };
  });
}

/**
 * The org as it stands, as an org file: departments and teams are the ones people are in, and
 * people are listed managers first (a reader finds each manager above the reports).
 */
export function orgFileFromAgents(
  agents: readonly {
    readonly agentId: string;
    readonly name: string;
    readonly title: string;
    readonly level: Level;
    readonly department: string;
    readonly team?: string | undefined;
    readonly manager: string;
    readonly wakePolicy?: WakePolicy | undefined;
    readonly idleTimeoutSeconds?: number | undefined;
    readonly monthlyBudgetUsd?: number | undefined;
  }[],
): z.output<typeof orgFileSchema> {
  const teams = new Map<string, Set<string>>();
  for (const agent of agents) {
    const set = teams.get(agent.department) ?? new Set<string>();
    if (agent.team !== undefined) set.add(agent.team);
    teams.set(agent.department, set);
  }
  const reportsOf = new Map<string, (typeof agents)[number][]>();
  const ids = new Set(agents.map((a) => a.agentId));
  for (const agent of agents) {
    const root = ids.has(agent.manager) ? agent.manager : CEO_ID;
    reportsOf.set(root, [...(reportsOf.get(root) ?? []), agent]);
  }
  const ordered: (typeof agents)[number][] = [];
  const queue = [CEO_ID];
  const seen = new Set<string>();
  for (let i = 0; i < queue.length; i++) {
    for (const report of reportsOf.get(queue[i] ?? CEO_ID) ?? []) {
      if (seen.has(report.agentId)) continue;
      seen.add(report.agentId);
      ordered.push(report);
      queue.push(report.agentId);
    }
  }
  // Anything in a loop (an org the directory would never hold) still appears, last.
  ordered.push(...agents.filter((a) => !seen.has(a.agentId)));
  return {
    version: 1,
    departments: [...teams.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, set]) =>
        set.size === 0 ? { name } : { name, teams: [...set].sort((a, b) => a.localeCompare(b)) },
      ),
    people: ordered.map((a) => ({
      id: a.agentId,
      name: a.name,
      title: a.title,
      level: a.level,
      department: a.department,
      ...(a.team === undefined ? {} : { team: a.team }),
      manager: a.manager,
      ...(a.wakePolicy === undefined ? {} : { wakePolicy: a.wakePolicy }),
      ...(a.idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: a.idleTimeoutSeconds }),
      ...(a.monthlyBudgetUsd === undefined ? {} : { monthlyBudgetUsd: a.monthlyBudgetUsd }),
    })),
  };
}
