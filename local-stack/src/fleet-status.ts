import { AGENT_STATUSES } from '@ocf/events';
import { terminalSafe } from '@ocf/terminal';

/**
 * What `fleet up` prints about the agents: a one-line count by status, and, for a small fleet,
 * one line per agent. Pure, so the format is easy to keep stable.
 */
export interface AgentSummary {
  readonly agentId: string;
  readonly status: string;
  readonly title?: string;
  readonly health?: { readonly state: string; readonly detail?: string };
  /** How often it was woken from sleep, and when last (ADR 0019). */
  readonly wakes?: { readonly count: number; readonly lastAt: string };
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
    .map(([status, count]) => `${terminalSafe(status)} ${count}`);
  return `${agents.length} agent${agents.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

export function agentLines(agents: readonly AgentSummary[], limit = 30): string[] {
  if (agents.length > limit) return [];
  const rows = agents.map((agent) => ({
    agentId: terminalSafe(agent.agentId),
    status: terminalSafe(agent.status),
    title: agent.title === undefined ? '' : terminalSafe(agent.title),
    detail:
      agent.health?.detail === undefined ? undefined : terminalSafe(firstCodePoints(agent.health.detail, 60)),
    wakes:
      typeof agent.wakes?.count === 'number' && agent.wakes.count > 0
        ? `  woken ${agent.wakes.count}x, last ${terminalSafe(agent.wakes.lastAt)}`
        : '',
  }));
  const width = Math.max(...rows.map((r) => r.agentId.length), 5);
  return rows.map((row) => {
    const detail = row.detail === undefined ? '' : `  (${row.detail})`;
    return `  ${row.agentId.padEnd(width)}  ${row.status.padEnd(19)} ${row.title}${detail}${row.wakes}`;
  });
}

/** The first `count` characters, never cutting a surrogate pair in two. */
function firstCodePoints(text: unknown, count: number): string {
  return Array.from(typeof text === 'string' ? text : terminalSafe(text))
    .slice(0, count)
    .join('');
}
