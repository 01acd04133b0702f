/**
 * The console's view of the fleet, with no DOM: what the watch stream says about each agent, the
 * org tree under the human CEO, the filters, the rows a (virtualised) list shows, and the
 * fleet-wide figures. Pure functions over plain data, so unit tests run them in Node.
 */

/** The CEO: the root of every org chart (the directory's CEO_ID, @ocf/naming's CEO_ID). */
export const CEO_ID = 'ceo';

export interface StepView {
  readonly phase: 'hire' | 'retire';
  readonly step: string;
  readonly state: 'pending' | 'in-progress' | 'done' | 'failed';
  readonly at?: string;
  readonly detail?: string;
  readonly error?: string;
}

/** An agent as GET /v1/agents/{id} and the watch stream show it (the fields the console reads). */
export interface Agent {
  readonly agentId: string;
  readonly name: string;
  readonly title: string;
  readonly level: string;
  readonly department: string;
  readonly team?: string;
  readonly manager: string;
  readonly status: string;
  readonly hiredAt: string;
  readonly updatedAt: string;
  readonly retiredAt?: string;
  readonly wakePolicy?: string;
  readonly wakes?: { readonly count: number; readonly lastAt: string };
  /** The latest sign of activity the directory knows (a message that woke it, its model calls). */
  readonly lastActiveAt?: string;
  /** Restarts health asked for: how many, the latest, and why. */
  readonly restarts?: { readonly count: number; readonly lastAt: string; readonly lastReason: string };
  readonly health?: { readonly state: string; readonly at: string; readonly detail?: string };
  readonly monthlyBudgetUsd?: number;
  readonly modelSpend?: {
    readonly month: string;
    readonly costUsd: number;
    readonly calls: number;
    readonly budget: string;
    readonly asOf?: string;
    readonly spentScope?: string;
  };
  readonly steps: readonly StepView[];
  readonly version: number;
}

export const LEVELS = ['executive', 'vp', 'director', 'manager', 'ic'] as const;

/** Statuses of a hire still on its way. */
const IN_PROGRESS = new Set(['hired', 'credentials-issued', 'chat-account-ready', 'launching']);
/** Statuses someone has to look at. */
const ATTENTION = new Set(['failed', 'crash-looping', 'unhealthy']);

/** Keeps the newer of two views of one agent (the watch stream may send one twice). */
export function applyAgent(agents: Map<string, Agent>, agent: Agent): boolean {
  const known = agents.get(agent.agentId);
  if (known !== undefined && known.version >= agent.version) return false;
  agents.set(agent.agentId, agent);
  return true;
}

export interface OrgTree {
  /** Reports of each manager (the CEO included), sorted by name. */
  readonly reports: ReadonlyMap<string, readonly Agent[]>;
  /** Agents whose manager is not in the org (retired, or not hired yet): shown at the top level. */
  readonly orphans: readonly Agent[];
  readonly agents: ReadonlyMap<string, Agent>;
}

/** The org chart from the CEO down. Retired agents are left out unless `withRetired`. */
export function buildTree(all: ReadonlyMap<string, Agent>, { withRetired = false } = {}): OrgTree {
  const agents = new Map<string, Agent>();
  for (const agent of all.values())
    if (withRetired || agent.status !== 'retired') agents.set(agent.agentId, agent);
  const reports = new Map<string, Agent[]>();
  const orphans: Agent[] = [];
  for (const agent of agents.values()) {
    if (agent.manager !== CEO_ID && !agents.has(agent.manager)) {
      orphans.push(agent);
      continue;
    }
    const list = reports.get(agent.manager);
    if (list === undefined) reports.set(agent.manager, [agent]);
    else list.push(agent);
  }
  const byName = (a: Agent, b: Agent) => a.name.localeCompare(b.name) || a.agentId.localeCompare(b.agentId);
  for (const list of reports.values()) list.sort(byName);
  orphans.sort(byName);
  return { reports, orphans, agents };
}

export interface Filter {
  readonly query: string;
  readonly department: string;
  readonly team: string;
  readonly level: string;
  readonly status: string;
}

export const NO_FILTER: Filter = { query: '', department: '', team: '', level: '', status: '' };

export function isFiltering(filter: Filter): boolean {
  return Object.values(filter).some((value) => value !== '');
}

export function matches(agent: Agent, filter: Filter): boolean {
  if (filter.department !== '' && agent.department !== filter.department) return false;
  if (filter.team !== '' && agent.team !== filter.team) return false;
  if (filter.level !== '' && agent.level !== filter.level) return false;
  if (filter.status !== '' && agent.status !== filter.status) return false;
  const query = filter.query.trim().toLowerCase();
  if (query === '') return true;
  return [agent.name, agent.title, agent.agentId].some((text) => text.toLowerCase().includes(query));
}

/**
 * The human CEO as the chart's root row. A person, not an agent: no status of its own, no
 * cascade, no actions; the fleet's view of it is who reports to it (its card shows that).
 */
export const CEO_ROW_AGENT: Agent = {
  agentId: CEO_ID,
  name: 'The CEO',
  title: 'Chief executive — a person, not an agent',
  level: 'ceo',
  department: 'The company',
  manager: '',
  status: 'person',
  hiredAt: '',
  updatedAt: '',
  steps: [],
  version: 0,
};

export interface Row {
  /** The agent of the row; for the CEO's row, CEO_ROW_AGENT. */
  readonly agent: Agent;
  /** The root row: the human CEO. */
  readonly ceo?: boolean;
  readonly depth: number;
  readonly hasReports: boolean;
  readonly expanded: boolean;
  /** Shown because it matches the filter (not only as the way to one that does). */
  readonly match: boolean;
}

/**
 * The rows the chart shows, top to bottom: the human CEO first, at the root, with the org under
 * it. Without a filter: the CEO's reports (when the CEO is expanded) and, below each expanded
 * agent, its reports; a collapsed subtree costs nothing, so 1,000 agents with the top levels open
 * are a few dozen rows. With a filter: every match and the chain of managers above it (opened, so
 * the match is in sight); a match's own reports only when it is expanded. Agents whose manager is
 * not in the org follow at the root, beside the CEO.
 */
export function visibleRows(tree: OrgTree, expanded: ReadonlySet<string>, filter: Filter): Row[] {
  const rows: Row[] = [];
  const filtering = isFiltering(filter);
  let onPath: Set<string> | undefined;
  let matched: Set<string> | undefined;
  if (filtering) {
    matched = new Set();
    onPath = new Set();
    for (const agent of tree.agents.values()) {
      if (!matches(agent, filter)) continue;
      matched.add(agent.agentId);
      // Every manager above a match is on its path (the guard stops a reporting cycle).
      let manager = tree.agents.get(agent.manager);
      for (let hops = 0; manager !== undefined && hops < 64; hops++) {
        if (onPath.has(manager.agentId)) break;
        onPath.add(manager.agentId);
        manager = tree.agents.get(manager.manager);
      }
    }
  }
  const visit = (agent: Agent, depth: number, seen: Set<string>) => {
    if (seen.has(agent.agentId)) return;
    const reports = tree.reports.get(agent.agentId) ?? [];
    const isMatch = matched?.has(agent.agentId) ?? true;
    const isOnPath = onPath?.has(agent.agentId) ?? false;
    if (filtering && !isMatch && !isOnPath) return;
    const open = filtering ? isOnPath || expanded.has(agent.agentId) : expanded.has(agent.agentId);
    rows.push({ agent, depth, hasReports: reports.length > 0, expanded: open, match: filtering && isMatch });
    if (!open) return;
    seen.add(agent.agentId);
    // A match's reports show in full when it is opened; on a path, only what leads to matches.
    const below = filtering && isMatch && expanded.has(agent.agentId);
    for (const report of reports) {
      if (below) visitAll(report, depth + 1, seen);
      else visit(report, depth + 1, seen);
    }
    seen.delete(agent.agentId);
  };
  const visitAll = (agent: Agent, depth: number, seen: Set<string>) => {
    if (seen.has(agent.agentId)) return;
    const reports = tree.reports.get(agent.agentId) ?? [];
    const open = expanded.has(agent.agentId);
    rows.push({
      agent,
      depth,
      hasReports: reports.length > 0,
      expanded: open,
      match: matches(agent, filter),
    });
    if (!open) return;
    seen.add(agent.agentId);
    for (const report of reports) visitAll(report, depth + 1, seen);
    seen.delete(agent.agentId);
  };
  const tops = tree.reports.get(CEO_ID) ?? [];
  // The CEO is on the way to every match under it, so a filter opens it like any manager.
  const ceoOpen = expanded.has(CEO_ID) || (filtering && tops.some((top) => reaches(top)));
  rows.push({
    agent: CEO_ROW_AGENT,
    ceo: true,
    depth: 1,
    hasReports: tops.length > 0,
    expanded: ceoOpen,
    match: false,
  });
  if (ceoOpen) for (const top of tops) visit(top, 2, new Set());
  for (const orphan of tree.orphans) visit(orphan, 1, new Set());
  return rows;

  function reaches(agent: Agent): boolean {
    return (matched?.has(agent.agentId) ?? false) || (onPath?.has(agent.agentId) ?? false);
  }
}

/**
 * The chain of managers above an agent, nearest first, up to the CEO when the chain reaches it
 * (for opening the tree down to the agent).
 */
export function managersOf(tree: OrgTree, agentId: string): string[] {
  const chain: string[] = [];
  let top = tree.agents.get(agentId)?.manager;
  let manager = tree.agents.get(top ?? '');
  while (manager !== undefined && chain.length < 64 && !chain.includes(manager.agentId)) {
    chain.push(manager.agentId);
    top = manager.manager;
    manager = tree.agents.get(manager.manager);
  }
  if (top === CEO_ID) chain.push(CEO_ID);
  return chain;
}

export interface Figures {
  readonly total: number;
  readonly byStatus: ReadonlyMap<string, number>;
  readonly inProgress: number;
  /** Agents whose restarts health stopped (crash-looping). */
  readonly crashLoops: number;
  /** Agents with a failed cascade step, hire or retirement (a failed retirement stays `retiring`). */
  readonly failedSteps: number;
  readonly attention: readonly { readonly agent: Agent; readonly reason: string }[];
  readonly asleep: number;
  readonly awake: number;
  readonly spendUsd: number;
}

/** The fleet at a glance: agents by state, hires under way, failures with their reasons, spend. */
export function figures(agents: Iterable<Agent>): Figures {
  const byStatus = new Map<string, number>();
  const attention: { agent: Agent; reason: string }[] = [];
  let total = 0;
  let inProgress = 0;
  let crashLoops = 0;
  let failedSteps = 0;
  let asleep = 0;
  let awake = 0;
  let spendUsd = 0;
  for (const agent of agents) {
    if (agent.status === 'retired') continue;
    total++;
    byStatus.set(agent.status, (byStatus.get(agent.status) ?? 0) + 1);
    if (IN_PROGRESS.has(agent.status)) inProgress++;
    if (agent.status === 'asleep') asleep++;
    if (agent.status === 'running') awake++;
    spendUsd += agent.modelSpend?.costUsd ?? 0;
    const failedStep = agent.steps.some((step) => step.state === 'failed');
    if (agent.status === 'crash-looping') crashLoops++;
    if (failedStep) failedSteps++;
    if (ATTENTION.has(agent.status) || failedStep) attention.push({ agent, reason: reasonOf(agent) });
  }
  attention.sort((a, b) => a.agent.name.localeCompare(b.agent.name));
  return {
    total,
    byStatus,
    inProgress,
    crashLoops,
    failedSteps,
    attention,
    asleep,
    awake,
    spendUsd: Math.round(spendUsd * 100) / 100,
  };
}

/** Why an agent needs attention: its failed step's reason, else what health said. */
export function reasonOf(agent: Agent): string {
  const failed = agent.steps.find((step) => step.state === 'failed');
  if (failed !== undefined)
    return `${failed.phase === 'retire' ? 'retirement: ' : ''}${failed.step} failed${failed.error === undefined ? '' : `: ${failed.error}`}`;
  return agent.health?.detail ?? agent.status;
}

/** The departments, teams (of the chosen department, or all) and statuses present, for the filters. */
export function choices(agents: Iterable<Agent>, department: string) {
  const departments = new Set<string>();
  const teams = new Set<string>();
  const statuses = new Set<string>();
  for (const agent of agents) {
    departments.add(agent.department);
    statuses.add(agent.status);
    if (agent.team !== undefined && (department === '' || agent.department === department))
      teams.add(agent.team);
  }
  const sorted = (set: Set<string>) => [...set].sort((a, b) => a.localeCompare(b));
  return { departments: sorted(departments), teams: sorted(teams), statuses: sorted(statuses) };
}

export interface FieldError {
  /** The hire form's field (`name`, `manager`, ...), or `form` when the error names none. */
  readonly field: string;
  readonly message: string;
}

/**
 * The directory's 400 as one error per field. Its body lists every issue with its field
 * (`issues: [{ field: 'body.level', message }]`), each shown beside that field; a field the form
 * does not have keeps the `form` slot, with the API's words. An older directory's body has only
 * the first field (`field`) and every issue in the message, `; `-separated, each starting with
 * the field it is about (`body.name: ...`, `body.level is required`): read that way then.
 */
/**
 * What a form shows for a refused request: a 400's errors beside their fields, anything else as
 * one error for the whole form, in the directory's words when it gave some.
 */
export function refusalErrors(answer: {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}): FieldError[] {
  if (answer.status === 400) return fieldErrors(answer.body);
  const message = answer.body['message'];
  return [{ field: 'form', message: typeof message === 'string' ? message : `refused (${answer.status})` }];
}

export function fieldErrors(body: Readonly<Record<string, unknown>>): FieldError[] {
  const issues = body['issues'];
  if (Array.isArray(issues) && issues.length > 0) {
    return issues.map((issue: unknown) => {
      const { field, message } = (issue ?? {}) as { field?: unknown; message?: unknown };
      return {
        field: fieldOfBody(field),
        message: typeof message === 'string' ? message : String(field),
      };
    });
  }
  const message = typeof body['message'] === 'string' ? body['message'] : 'the directory refused the request';
  const errors: FieldError[] = [];
  for (const part of message.split('; ')) {
    const named = /^body\.([A-Za-z]+)(?:\.\S*)?(?::\s*|\s+)(.*)$/.exec(part);
    if (named?.[1] !== undefined) errors.push({ field: named[1], message: part });
    else errors.push({ field: fieldOfBody(body['field']), message: part });
  }
  return errors;
}

function fieldOfBody(field: unknown): string {
  return typeof field === 'string' && field.startsWith('body.')
    ? (field.slice(5).split('.')[0] ?? 'form')
    : 'form';
}
