import { AGENT_STATUSES } from '@ocf/events';

/**
 * What `fleet up` prints about the agents: a one-line count by status, and, for a small fleet,
 * one line per agent. Pure, so the format is easy to keep stable.
 */
export interface AgentSummary {
  readonly agentId: string;
  readonly status: string;
  readonly title?: string;
  readonly health?: { readonly state: string; readonly detail?: string };
}

/** The order statuses are listed in: the hire cascade, then trouble, then the way out. */
const ORDER: readonly string[] = AGENT_STATUSES;

export function statusLine(agents: readonly AgentSummary[]): string {
  if (agents.length === 0) return 'no agents yet';
  const counts = new Map<string, number>();
  for (const agent of agents) counts.set(agent.status, (counts.get(agent.status) ?? 0) + 1);
  const rank = (status: string): number => {
    const index = ORDER.indexOf(status);
    return index === -1 ? ORDER.length : index;
  };
  const parts = [...counts]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([status, count]) => `${status} ${count}`);
  return `${agents.length} agent${agents.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

export function agentLines(agents: readonly AgentSummary[], limit = 30): string[] {
  if (agents.length > limit) return [];
  const width = Math.max(...agents.map((a) => a.agentId.length), 5);
  return agents.map((agent) => {
    const detail = agent.health?.detail === undefined ? '' : `  (${agent.health.detail.slice(0, 60)})`;
    return `  ${agent.agentId.padEnd(width)}  ${agent.status.padEnd(19)} ${agent.title ?? ''}${detail}`;
  });
}
