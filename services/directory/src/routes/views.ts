import { CEO_ID, retirementSteps, type CascadeStep } from '@ocf/events';
import type { StepStatus } from '../domain/agent.ts';
import { budgetState } from '../domain/spend.ts';
import { hireReach } from '../domain/status.ts';
import type { StoredAgent } from '../ports.ts';
import { toRest } from './rest-fields.ts';

const HIRE_STEPS: CascadeStep[] = ['credentials', 'chat-account', 'task'];

interface StepView extends Partial<StepStatus> {
  readonly phase: 'hire' | 'retire';
  readonly step: CascadeStep;
  readonly state: StepStatus['state'];
}

/**
 * An agent as the API shows it: position, status, and every step of its cascade. A step's
 * `detail` (the secret ARN, the Matrix user id, the task ARN) and `error` are for operators (`internals`): an
 * agent reading the org needs none of it, and an ARN is a map of what to attack next.
 */
export function agentView(agent: StoredAgent, { internals }: { readonly internals: boolean }) {
  const { progress } = agent;
  // A failure's `error` goes too: reasons name the same resources.
  const shown = (status: StepStatus | undefined): Partial<StepStatus> & Pick<StepStatus, 'state'> =>
    status === undefined ? { state: 'pending' } : internals ? status : { state: status.state, at: status.at };
  const steps: StepView[] = HIRE_STEPS.map((step) => ({
    phase: 'hire',
    step,
    ...shown(progress.hire[step]),
  }));
  if (progress.retireRequestedAt !== undefined) {
    for (const step of retirementSteps(hireReach(progress.hire)))
      steps.push({ phase: 'retire', step, ...shown(progress.retire[step]) });
  }
  return {
    agentId: agent.agentId,
    name: agent.name,
    title: agent.title,
    level: agent.level,
    department: agent.department,
    ...(agent.team === undefined ? {} : { team: agent.team }),
    ...toRest({ managerId: agent.managerId }),
    ...(agent.roleTemplate === undefined ? {} : { roleTemplate: agent.roleTemplate }),
    ...(agent.model === undefined ? {} : { model: agent.model }),
    ...(agent.skills === undefined ? {} : { skills: agent.skills }),
    ...(agent.wakePolicy === undefined ? {} : { wakePolicy: agent.wakePolicy }),
    ...(agent.idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: agent.idleTimeoutSeconds }),
    ...(progress.wakes === undefined ? {} : { wakes: progress.wakes }),
    ...(progress.restarts === undefined
      ? {}
      : {
          restarts: {
            count: progress.restarts.count,
            lastAt: progress.restarts.lastAt,
            lastReason: progress.restarts.lastReason,
          },
        }),
    ...lastActivity(agent),
    status: agent.status,
    hiredAt: agent.hiredAt,
    updatedAt: agent.updatedAt,
    ...(agent.retiredAt === undefined ? {} : { retiredAt: agent.retiredAt }),
    ...(progress.health === undefined ? {} : { health: progress.health }),
    ...(agent.monthlyBudgetUsd === undefined ? {} : { monthlyBudgetUsd: agent.monthlyBudgetUsd }),
    modelSpend: spendView(agent),
    steps,
    // Bumped by every write: of two views of one agent, the higher version is the newer.
    version: agent.version,
  };
}

/**
 * When the agent was last active, as far as the bus tells: a message that woke it, the activity a
 * sleep decision saw, or its latest model usage report (it called its model up to then).
 */
function lastActivity(agent: StoredAgent): { lastActiveAt?: string } {
  const candidates = [agent.progress.lastActiveAt, agent.modelSpend?.asOf].filter(
    (at): at is string => at !== undefined,
  );
  if (candidates.length === 0) return {};
  return { lastActiveAt: candidates.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b)) };
}

/** This month's model spend and where it stands against the agent's budget (ADR 0017). */
function spendView(agent: StoredAgent) {
  const month = new Date().toISOString().slice(0, 7);
  const spend =
    agent.modelSpend !== undefined && agent.modelSpend.month === month ? agent.modelSpend : undefined;
  const { state, spentScope } = budgetState(agent.modelSpend, agent.monthlyBudgetUsd, month);
  return {
    month,
    costUsd: spend?.costUsd ?? 0,
    calls: spend?.calls ?? 0,
    tokensIn: spend?.tokensIn ?? 0,
    tokensOut: spend?.tokensOut ?? 0,
    ...(spend === undefined ? {} : { asOf: spend.asOf }),
    budget: state,
    ...(spentScope === undefined ? {} : { spentScope }),
  };
}

/** Model spend per department this month, from each agent's last report (active and retired alike: money spent is spent). */
export function departmentSpend(agents: readonly StoredAgent[], month: string) {
  const byDepartment = new Map<
    string,
    {
      department: string;
      costUsd: number;
      calls: number;
      tokensIn: number;
      tokensOut: number;
      agents: number;
    }
  >();
  for (const agent of agents) {
    const spend = agent.modelSpend;
    if (spend === undefined || spend.month !== month) continue;
    const row = byDepartment.get(agent.department) ?? {
      department: agent.department,
      costUsd: 0,
      calls: 0,
      tokensIn: 0,
      tokensOut: 0,
      agents: 0,
    };
    row.costUsd = Math.round((row.costUsd + spend.costUsd) * 1e6) / 1e6;
    row.calls += spend.calls;
    row.tokensIn += spend.tokensIn;
    row.tokensOut += spend.tokensOut;
    row.agents += 1;
    byDepartment.set(agent.department, row);
  }
  const departments = [...byDepartment.values()].sort((a, b) => a.department.localeCompare(b.department));
  return {
    month,
    costUsd: Math.round(departments.reduce((sum, d) => sum + d.costUsd, 0) * 1e6) / 1e6,
    departments,
  };
}

export interface OrgNode {
  readonly agentId: string;
  readonly name: string;
  readonly title: string;
  readonly level: string;
  readonly department: string;
  readonly team?: string;
  readonly status: string;
  readonly reports: OrgNode[];
}

/** The org chart as a tree under the CEO. Agents whose manager is missing hang under `orphans`. */
export function orgChart(agents: readonly StoredAgent[]): {
  ceo: { agentId: typeof CEO_ID; reports: OrgNode[] };
  orphans: OrgNode[];
} {
  const nodes = new Map<string, OrgNode>();
  for (const a of agents) {
    nodes.set(a.agentId, {
      agentId: a.agentId,
      name: a.name,
      title: a.title,
      level: a.level,
      department: a.department,
      ...(a.team === undefined ? {} : { team: a.team }),
      status: a.status,
      reports: [],
    });
  }
  const ceo: { agentId: typeof CEO_ID; reports: OrgNode[] } = { agentId: CEO_ID, reports: [] };
  const orphans: OrgNode[] = [];
  for (const a of agents) {
    const node = nodes.get(a.agentId);
    if (node === undefined) continue;
    if (a.managerId === CEO_ID) ceo.reports.push(node);
    else (nodes.get(a.managerId)?.reports ?? orphans).push(node);
  }
  const byName = (x: OrgNode, y: OrgNode) => x.name.localeCompare(y.name);
  for (const node of nodes.values()) node.reports.sort(byName);
  ceo.reports.sort(byName);
  return { ceo, orphans };
}
