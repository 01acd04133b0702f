import { CEO_ID } from '@ocf/naming';
import type { OrgChart, Person } from '../org/people.ts';

/**
 * The answers of the people-directory tool, as plain data. Pure: the MCP server (server.ts)
 * only parses arguments, asks these, and returns the result as JSON text for the model.
 */

export interface PersonCard {
  readonly agentId: string;
  readonly name: string;
  readonly title: string;
  readonly level: string;
  readonly department: string;
  readonly team?: string;
  /** Who they report to: a name, or "the CEO". */
  readonly manager: string;
  /** Mention this id to reach them in chat. */
  readonly matrixUserId: string;
}

export type Answer = Record<string, unknown>;

export interface QueryContext {
  readonly org: OrgChart;
  readonly matrixUserId: (agentId: string) => string;
}

export function card(context: QueryContext, person: Person): PersonCard {
  const manager = context.org.managerOf(person);
  return {
    agentId: person.agentId,
    name: person.name,
    title: person.title,
    level: person.level,
    department: person.department,
    ...(person.team === undefined ? {} : { team: person.team }),
    manager: manager === CEO_ID ? 'the CEO' : (manager?.name ?? `${person.manager} (not in the directory)`),
    matrixUserId: context.matrixUserId(person.agentId),
  };
}

export function searchPeople(
  context: QueryContext,
  args: { query: string; department?: string | undefined; limit?: number | undefined },
): Answer {
  const found = context.org.search(args.query, { department: args.department, limit: args.limit ?? 10 });
  return { count: found.length, people: found.map((p) => card(context, p)) };
}

/** Resolves "who" to one person, or explains why it cannot. */
function withPerson(context: QueryContext, who: string, answer: (person: Person) => Answer): Answer {
  const resolved = context.org.resolve(who);
  if ('person' in resolved) return answer(resolved.person);
  if (resolved.candidates.length === 0) return { error: `nobody in the directory matches "${who}"` };
  return {
    error: `"${who}" matches several people; ask again with one of their agent ids`,
    candidates: resolved.candidates.map((p) => card(context, p)),
  };
}

export function getPerson(context: QueryContext, who: string): Answer {
  return withPerson(context, who, (person) => ({
    person: card(context, person),
    directReports: context.org.reportsOf(person.agentId).length,
  }));
}

export function getManager(context: QueryContext, who: string): Answer {
  return withPerson(context, who, (person) => {
    const manager = context.org.managerOf(person);
    if (manager === CEO_ID)
      return { person: person.name, manager: 'the CEO (a human, at the top of the org chart)' };
    if (manager === undefined)
      return { person: person.name, manager: null, note: 'their manager is not in the directory' };
    return { person: person.name, manager: card(context, manager) };
  });
}

export function getDirectReports(context: QueryContext, who: string): Answer {
  return withPerson(context, who, (person) => {
    const reports = context.org.reportsOf(person.agentId);
    return {
      person: person.name,
      count: reports.length,
      directReports: reports.map((p) => card(context, p)),
    };
  });
}

export function getTeam(context: QueryContext, who: string): Answer {
  return withPerson(context, who, (person) => {
    if (person.team === undefined) {
      return {
        person: person.name,
        team: null,
        note: `${person.name} leads or works across teams in ${person.department}`,
      };
    }
    const team = context.org.teamOf(person);
    return {
      person: person.name,
      department: person.department,
      team: person.team,
      members: team.map((p) => card(context, p)),
    };
  });
}

export function getChainOfCommand(context: QueryContext, who: string): Answer {
  return withPerson(context, who, (person) => ({
    person: person.name,
    chain: context.org.chainOfCommand(person).map((p) => card(context, p)),
    top: 'the CEO',
  }));
}
