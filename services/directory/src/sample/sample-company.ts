import type { Level } from '@ocf/events';
import { orgFileFromAgents } from '@ocf/org-file';
import { agentIdFromName } from '../domain/agent.ts';

/**
 * A realistic sample company for demos, load tests and the agents' people directory: the human
 * CEO plus 1,000 agents in nine departments, each with a VP, directors, managers leading teams,
 * and individual contributors. Deterministic for a seed, so a test or a benchmark can name one.
 */

export interface SampleAgent {
  readonly agentId: string;
  readonly name: string;
  readonly title: string;
  readonly level: Level;
  readonly department: string;
  readonly team?: string;
  readonly manager: string;
}

interface Department {
  readonly name: string;
  readonly share: number;
  readonly teams: readonly string[];
  readonly icTitles: readonly string[];
  readonly managerTitle: string;
}

// Engineering and Product both have a "Platform" team on purpose: team names are per department.
const DEPARTMENTS: readonly Department[] = [
  {
    name: 'Engineering',
    share: 0.3,
    teams: [
      'Platform',
      'Runtime',
      'Data',
      'Security',
      'Web',
      'Mobile',
      'Reliability',
      'Developer Experience',
      'Payments',
      'Search',
      'Identity',
      'Messaging',
    ],
    icTitles: ['Software Engineer', 'Senior Software Engineer', 'Staff Engineer'],
    managerTitle: 'Engineering Manager',
  },
  {
    name: 'Product',
    share: 0.07,
    teams: ['Platform', 'Growth', 'Core Experience', 'Enterprise'],
    icTitles: ['Product Manager', 'Senior Product Manager'],
    managerTitle: 'Group Product Manager',
  },
  {
    name: 'Design',
    share: 0.05,
    teams: ['Product Design', 'Brand', 'Research'],
    icTitles: ['Product Designer', 'Senior Product Designer', 'UX Researcher'],
    managerTitle: 'Design Manager',
  },
  {
    name: 'Sales',
    share: 0.15,
    teams: ['Enterprise', 'Mid-Market', 'EMEA', 'APAC', 'Sales Engineering', 'Partnerships'],
    icTitles: ['Account Executive', 'Senior Account Executive', 'Sales Engineer'],
    managerTitle: 'Sales Manager',
  },
  {
    name: 'Marketing',
    share: 0.09,
    teams: ['Product Marketing', 'Demand Generation', 'Content', 'Events'],
    icTitles: ['Marketing Manager', 'Content Strategist', 'Marketing Analyst'],
    managerTitle: 'Marketing Lead',
  },
  {
    name: 'Customer Success',
    share: 0.13,
    teams: ['Onboarding', 'Support', 'Renewals', 'Technical Account Management', 'Community'],
    icTitles: ['Customer Success Manager', 'Support Engineer', 'Technical Account Manager'],
    managerTitle: 'Customer Success Lead',
  },
  {
    name: 'Finance',
    share: 0.08,
    teams: ['Accounting', 'FP&A', 'Procurement', 'Revenue Operations'],
    icTitles: ['Financial Analyst', 'Accountant', 'Senior Accountant'],
    managerTitle: 'Finance Manager',
  },
  {
    name: 'Legal',
    share: 0.05,
    teams: ['Commercial', 'Privacy', 'Compliance'],
    icTitles: ['Counsel', 'Senior Counsel', 'Compliance Analyst'],
    managerTitle: 'Legal Manager',
  },
  {
    name: 'People',
    share: 0.08,
    teams: ['Recruiting', 'People Partners', 'Learning', 'Total Rewards'],
    icTitles: ['Recruiter', 'People Partner', 'People Operations Specialist'],
    managerTitle: 'People Manager',
  },
];

const FIRST_NAMES = [
  'Ada',
  'Alan',
  'Grace',
  'Katherine',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'John',
  'Margaret',
  'Claude',
  'Radia',
  'Tim',
  'Hedy',
  'Dennis',
  'Shafi',
  'Ken',
  'Sophie',
  'Linus',
  'Anita',
  'Guido',
  'Lynn',
  'Bjarne',
  'Adele',
  'Niklaus',
  'Jean',
  'Leslie',
  'Joan',
  'Vint',
  'Elizabeth',
  'Whitfield',
  'Mary',
  'Yukihiro',
  'Evelyn',
  'Robin',
  'Carol',
  'Rasmus',
  'Susan',
  'James',
  'Ivan',
  'Hal',
  'Marissa',
  'Martin',
  'Ruth',
  'Brian',
  'Kathleen',
  'Larry',
  'Annie',
  'Fernando',
  'Mae',
];
const LAST_NAMES = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Johnson',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'McCarthy',
  'Hamilton',
  'Shannon',
  'Perlman',
  'Berners-Lee',
  'Lamarr',
  'Ritchie',
  'Goldwasser',
  'Thompson',
  'Wilson',
  'Torvalds',
  'Borg',
  'van Rossum',
  'Conway',
  'Stroustrup',
  'Goldberg',
  'Wirth',
  'Bartik',
  'Lamport',
  'Clarke',
  'Cerf',
  'Feinler',
  'Diffie',
  'Keller',
  'Matsumoto',
  'Boyd',
  'Milner',
  'Shaw',
  'Lerdorf',
  'Kare',
  'Gosling',
  'Sutherland',
  'Abelson',
  'Mayer',
  'Fowler',
  'Teitelbaum',
  'Kernighan',
  'Booth',
  'Page',
  'Easley',
  'Corbato',
  'Jemison',
];

export interface SampleCompanyOptions {
  readonly seed?: number;
  /** Agents, not counting the human CEO. */
  readonly size?: number;
}

export function sampleCompany(options: SampleCompanyOptions = {}): SampleAgent[] {
  const random = mulberry32(options.seed ?? 1);
  const size = options.size ?? 1000;
  const agents: SampleAgent[] = [];
  const usedIds = new Set<string>();
  const person = (): { agentId: string; name: string } => {
    for (;;) {
      const name = `${pick(FIRST_NAMES, random)} ${pick(LAST_NAMES, random)}`;
      const base = agentIdFromName(name);
      let agentId = base;
      for (let n = 2; usedIds.has(agentId); n++) agentId = `${base}-${n}`;
      usedIds.add(agentId);
      return { agentId, name };
    }
  };

  const chief = {
    ...person(),
    title: 'Chief of Staff',
    level: 'executive' as const,
    department: 'Office of the CEO',
    manager: 'ceo',
  };
  agents.push(chief);

  for (const [index, department] of DEPARTMENTS.entries()) {
    // The last department takes the rounding remainder, so the total is exact.
    const headcount =
      index === DEPARTMENTS.length - 1 ? size - agents.length : Math.round((size - 1) * department.share);
    agents.push(...staffDepartment(department, headcount, person, random));
  }
  return agents;
}

function staffDepartment(
  department: Department,
  headcount: number,
  person: () => { agentId: string; name: string },
  random: () => number,
): SampleAgent[] {
  const people: SampleAgent[] = [];
  const vp = {
    ...person(),
    title: `VP of ${department.name}`,
    level: 'vp' as const,
    department: department.name,
    manager: 'ceo',
  };
  people.push(vp);
  const rest = headcount - 1;
  const directorCount = Math.max(1, Math.round(rest / 45));
  const managerCount = Math.max(directorCount, Math.round((rest - directorCount) / 8));
  const icCount = rest - directorCount - managerCount;

  const directors = Array.from({ length: directorCount }, (_, i) => ({
    ...person(),
    title:
      directorCount === 1
        ? `Director of ${department.name}`
        : `Director of ${department.name} ${roman(i + 1)}`,
    level: 'director' as const,
    department: department.name,
    manager: vp.agentId,
  }));
  const managers = Array.from({ length: managerCount }, (_, i) => {
    const team = teamName(department.teams, i);
    return {
      ...person(),
      title: `${department.managerTitle}, ${team}`,
      level: 'manager' as const,
      department: department.name,
      team,
      manager: cycle(directors, i).agentId,
    };
  });
  const ics = Array.from({ length: icCount }, (_, i) => {
    const manager = cycle(managers, i);
    return {
      ...person(),
      title: pick(department.icTitles, random),
      level: 'ic' as const,
      department: department.name,
      team: manager.team,
      manager: manager.agentId,
    };
  });
  return [...people, ...directors, ...managers, ...ics];
}

function teamName(teams: readonly string[], index: number): string {
  const base = cycle(teams, index);
  const round = Math.floor(index / teams.length);
  return round === 0 ? base : `${base} ${roman(round + 1)}`;
}

function roman(n: number): string {
  return ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'][n - 1] ?? String(n);
}

function pick<T>(items: readonly T[], random: () => number): T {
  return cycle(items, Math.floor(random() * items.length));
}

/** The item at `index`, wrapping around: round-robin assignment of reports to managers. */
function cycle<T>(items: readonly T[], index: number): T {
  const item = items[index % items.length];
  if (item === undefined) throw new Error('cannot pick from an empty list');
  return item;
}

/** A small, fast, well-known seeded PRNG: the same seed gives the same company everywhere. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sample company as an org file (docs/org-file.schema.json), for `ocf org apply`. */
export function sampleOrgFile(options: SampleCompanyOptions = {}): OrgFileContent {
  return orgFileFromAgents(sampleCompany(options));
}

type OrgFileContent = ReturnType<typeof orgFileFromAgents>;

/** What `reorganise` changed, by kind: the plan of the changed file must list exactly these. */
export interface Reorganisation {
  readonly file: OrgFileContent;
  readonly hired: readonly string[];
  readonly moved: readonly string[];
  readonly promoted: readonly string[];
  readonly removed: readonly string[];
}

/**
 * A sample org file with a reorganisation applied: `hires` new individual contributors, `moves`
 * contributors moved to another team's manager in their department, `promotions` VPs made
 * executives, and `removals` contributors left out. Deterministic, and valid by the org rules.
 */
export function reorganise(
  file: OrgFileContent,
  counts: { hires: number; moves: number; promotions: number; removals: number },
): Reorganisation {
  const people = file.people.map((p) => ({ ...p }));
  const ics = people.filter((p) => p.level === 'ic');
  const managers = people.filter((p) => p.level === 'manager');
  const removed = ics.slice(0, counts.removals).map((p) => p.id);
  const moved: string[] = [];
  for (const person of ics.slice(counts.removals)) {
    if (moved.length === counts.moves) break;
    const target = managers.find((m) => m.department === person.department && m.id !== person.manager);
    if (target === undefined) continue;
    person.manager = target.id;
    if (target.team === undefined) delete person.team;
    else person.team = target.team;
    moved.push(person.id);
  }
  const promoted: string[] = [];
  for (const person of people.filter((p) => p.level === 'vp').slice(0, counts.promotions)) {
    person.level = 'executive';
    person.title = `Executive ${person.title}`;
    promoted.push(person.id);
  }
  const hired: string[] = [];
  const manager = managers[0];
  if (manager === undefined && counts.hires > 0) throw new Error('no manager to hire under');
  for (let n = 1; n <= counts.hires && manager !== undefined; n++) {
    const id = `new-hire-${n}`;
    people.push({
      id,
      name: `New Hire ${n}`,
      title: 'Software Engineer',
      level: 'ic',
      department: manager.department,
      ...(manager.team === undefined ? {} : { team: manager.team }),
      manager: manager.id,
    });
    hired.push(id);
  }
  if (removed.length < counts.removals || moved.length < counts.moves || promoted.length < counts.promotions)
    throw new Error(
      `the org is too small for this reorganisation: ${removed.length}/${counts.removals} removals, ${moved.length}/${counts.moves} moves, ${promoted.length}/${counts.promotions} promotions`,
    );
  return {
    file: { ...file, people: people.filter((p) => !removed.includes(p.id)) },
    hired,
    moved,
    promoted,
    removed,
  };
}
