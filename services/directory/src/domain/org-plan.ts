import { CEO_ID } from '@ocf/events';
import { LEVEL_RANK, type AgentPosition, type ValidOrg } from '@ocf/org-file';
import { isActive, type AgentRecord, type Position } from './agent.ts';

/**
 * The fields of a position an org file sets, and the agent's settings it sets (wake policy, idle
 * timeout, budget); a difference in any of them is an update. A setting the file leaves out is
 * the fleet's default, so an agent that has one is planned back to the default: the file is the
 * whole truth, as it is for the team.
 */
const POSITION_FIELDS = [
  'name',
  'title',
  'level',
  'department',
  'team',
  'managerId',
  'wakePolicy',
  'idleTimeoutSeconds',
  'monthlyBudgetUsd',
] as const;
type PositionField = (typeof POSITION_FIELDS)[number];

export type ChangeKind = 'promotion' | 'demotion' | 'move' | 'rename' | 'retitle' | 'wake' | 'budget';

export type PlannedChange =
  | { readonly action: 'hire'; readonly agentId: string; readonly position: AgentPosition }
  | {
      readonly action: 'update';
      readonly agentId: string;
      /** What kind of change this is, for people: a promotion and a move at once lists both. */
      readonly kinds: readonly ChangeKind[];
      readonly changes: Partial<Position>;
      readonly previous: Partial<Record<PositionField, string | number | null>>;
    }
  | { readonly action: 'retire'; readonly agentId: string };

export interface OrgPlan {
  /** In the order apply attempts them: hires managers first, updates top-down, retirements bottom-up. */
  readonly changes: readonly PlannedChange[];
  readonly summary: {
    readonly hire: number;
    readonly update: number;
    readonly retire: number;
    readonly unchanged: number;
    /** Active agents the file does not name, left alone because pruning was not asked for. */
    readonly notInFile: number;
  };
  /** People in the file who cannot be placed yet: their id is still retiring. */
  readonly blocked: readonly { readonly agentId: string; readonly reason: string }[];
}

/**
 * What it takes to turn the org as it stands into the org in the file: pure, from the file and
 * every recorded agent. Apply recomputes this from the directory each time it runs, which is
 * what makes it idempotent and resumable (ADR 0023): whatever an interrupted run finished is no
 * longer a difference, and whatever it did not is still one.
 */
export function planOrg(
  org: ValidOrg,
  current: readonly AgentRecord[],
  options: { readonly prune: boolean },
): OrgPlan {
  const recorded = new Map(current.map((agent) => [agent.agentId, agent]));
  const wanted = new Map(org.people.map((person) => [person.agentId, person]));
  const depth = depthsOf(org.people);
  const byDepth = (a: { agentId: string }, b: { agentId: string }) =>
    (depth.get(a.agentId) ?? 0) - (depth.get(b.agentId) ?? 0);

  const hires: PlannedChange[] = [];
  const updates: PlannedChange[] = [];
  const blocked: { agentId: string; reason: string }[] = [];
  let unchanged = 0;
  for (const person of [...org.people].sort(byDepth)) {
    const agent = recorded.get(person.agentId);
    if (agent === undefined || agent.status === 'retired') {
      hires.push({ action: 'hire', agentId: person.agentId, position: person });
      continue;
    }
    if (!isActive(agent)) {
      blocked.push({
        agentId: person.agentId,
        reason: `${person.agentId} is still retiring; it can be hired again once retirement completes`,
      });
      continue;
    }
    const changed = POSITION_FIELDS.filter((field) => (person[field] ?? null) !== (agent[field] ?? null));
    if (changed.length === 0) {
      unchanged++;
      continue;
    }
    updates.push({
      action: 'update',
      agentId: person.agentId,
      kinds: kindsOf(changed, agent, person),
      changes: Object.fromEntries(changed.map((field) => [field, person[field]])),
      previous: Object.fromEntries(changed.map((field) => [field, agent[field] ?? null])),
    });
  }

  const extra = current.filter((agent) => isActive(agent) && !wanted.has(agent.agentId));
  const currentDepth = depthsOf(current.filter(isActive));
  // Reports before their managers: a manager with active reports cannot be retired.
  const retirements: PlannedChange[] = options.prune
    ? extra
        .sort((a, b) => (currentDepth.get(b.agentId) ?? 0) - (currentDepth.get(a.agentId) ?? 0))
        .map((agent) => ({ action: 'retire', agentId: agent.agentId }))
    : [];

  return {
    changes: [...hires, ...updates, ...retirements],
    summary: {
      hire: hires.length,
      update: updates.length,
      retire: retirements.length,
      unchanged,
      notInFile: options.prune ? 0 : extra.length,
    },
    blocked,
  };
}

function kindsOf(changed: readonly PositionField[], agent: Position, person: AgentPosition): ChangeKind[] {
  const kinds: ChangeKind[] = [];
  if (changed.includes('level'))
    kinds.push(LEVEL_RANK[person.level] > LEVEL_RANK[agent.level] ? 'promotion' : 'demotion');
  if (changed.includes('managerId') || changed.includes('department') || changed.includes('team'))
    kinds.push('move');
  if (changed.includes('name')) kinds.push('rename');
  if (changed.includes('title')) kinds.push('retitle');
  if (changed.includes('wakePolicy') || changed.includes('idleTimeoutSeconds')) kinds.push('wake');
  if (changed.includes('monthlyBudgetUsd')) kinds.push('budget');
  return kinds;
}

/** How far below the CEO each person is (1 = reports to the CEO); people in a loop get none. */
function depthsOf(people: readonly { agentId: string; managerId: string }[]): Map<string, number> {
  const managerOf = new Map(people.map((p) => [p.agentId, p.managerId]));
  const depth = new Map<string, number>();
  const resolve = (agentId: string): number => {
    const known = depth.get(agentId);
    if (known !== undefined) return known;
    const chain: string[] = [];
    let current: string | undefined = agentId;
    while (current !== undefined && current !== CEO_ID && !depth.has(current) && !chain.includes(current)) {
      chain.push(current);
      current = managerOf.get(current);
    }
    let base = current !== undefined && depth.has(current) ? (depth.get(current) ?? 0) : 0;
    for (const id of chain.reverse()) depth.set(id, ++base);
    return depth.get(agentId) ?? 0;
  };
  for (const person of people) resolve(person.agentId);
  return depth;
}
