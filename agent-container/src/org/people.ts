import type { Level } from '@ocf/events';
import { CEO_ID } from '@ocf/naming';

/** Someone in the org chart as the directory service describes them. */
export interface Person {
  readonly agentId: string;
  readonly name: string;
  readonly title: string;
  readonly level: Level;
  readonly department: string;
  readonly team?: string | undefined;
  /** The manager's agent id, or `CEO_ID`. */
  readonly manager: string;
  readonly status: string;
  /** A model the org chose for this agent, overriding the fleet's default. */
  readonly model?: string | undefined;
}

/** The directory's statuses of people who have left or are leaving. */
const GONE = new Set(['retired', 'retiring']);

export function isCurrent(person: Person): boolean {
  return !GONE.has(person.status);
}

/**
 * Questions about the org chart, answered from one snapshot of the directory. Pure: the people
 * tool and the persona both build one from a single listing, so what an agent is told about its
 * place and what it can look up agree.
 */
export class OrgChart {
  readonly #byId: ReadonlyMap<string, Person>;
  readonly #reports: ReadonlyMap<string, readonly Person[]>;

  constructor(people: readonly Person[]) {
    const current = people.filter(isCurrent);
    this.#byId = new Map(current.map((p) => [p.agentId, p]));
    const reports = new Map<string, Person[]>();
    for (const person of current) {
      const list = reports.get(person.manager) ?? [];
      list.push(person);
      reports.set(person.manager, list);
    }
    for (const list of reports.values()) list.sort(byName);
    this.#reports = reports;
  }

  get size(): number {
    return this.#byId.size;
  }

  people(): Person[] {
    return [...this.#byId.values()].sort(byName);
  }

  get(agentId: string): Person | undefined {
    return this.#byId.get(agentId);
  }

  /** The manager, `CEO_ID` for the people who report to the human CEO, undefined if unknown. */
  managerOf(person: Person): Person | typeof CEO_ID | undefined {
    return person.manager === CEO_ID ? CEO_ID : this.#byId.get(person.manager);
  }

  reportsOf(agentId: string): readonly Person[] {
    return this.#reports.get(agentId) ?? [];
  }

  /** Everyone on the person's team, the person included; empty for people without a team. */
  teamOf(person: Person): Person[] {
    if (person.team === undefined) return [];
    return this.people().filter((p) => p.department === person.department && p.team === person.team);
  }

  /** From the person's manager up to the last agent below the CEO. Stops at a loop or a gap. */
  chainOfCommand(person: Person): Person[] {
    const chain: Person[] = [];
    const seen = new Set([person.agentId]);
    let next = this.managerOf(person);
    while (next !== undefined && next !== CEO_ID && !seen.has(next.agentId)) {
      chain.push(next);
      seen.add(next.agentId);
      next = this.managerOf(next);
    }
    return chain;
  }

  /**
   * People whose id, name, title, department or team contain every word of the query, best
   * first: exact names, then names, then the rest.
   */
  search(query: string, options: { department?: string | undefined; limit?: number } = {}): Person[] {
    const words = normalise(query)
      .split(/\s+/)
      .filter((w) => w !== '');
    const department = options.department === undefined ? undefined : normalise(options.department);
    const scored: [number, Person][] = [];
    for (const person of this.#byId.values()) {
      if (department !== undefined && normalise(person.department) !== department) continue;
      const name = normalise(person.name);
      const haystack = normalise(
        [person.agentId, person.name, person.title, person.department, person.team ?? ''].join(' '),
      );
      if (!words.every((w) => haystack.includes(w))) continue;
      const score =
        name === words.join(' ') ? 0 : words.every((w) => name.includes(w)) ? 1 : words.length === 0 ? 3 : 2;
      scored.push([score, person]);
    }
    scored.sort(([a, p], [b, q]) => a - b || byName(p, q));
    return scored.slice(0, options.limit ?? 20).map(([, person]) => person);
  }

  /** An agent id or a name (case and accents ignored); the candidates when that is not one person. */
  resolve(reference: string): { person: Person } | { candidates: Person[] } {
    const exact = this.#byId.get(reference.trim());
    if (exact !== undefined) return { person: exact };
    const matches = this.search(reference, { limit: 10 });
    const named = matches.filter((p) => normalise(p.name) === normalise(reference));
    if (named.length === 1 && named[0] !== undefined) return { person: named[0] };
    if (matches.length === 1 && matches[0] !== undefined) return { person: matches[0] };
    return { candidates: matches };
  }
}

function normalise(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim();
}

function byName(a: Person, b: Person): number {
  return a.name.localeCompare(b.name) || a.agentId.localeCompare(b.agentId);
}
