import type { AgentRecord, AgentStatus } from './agent.ts';

/**
 * The cascade resync (ADR 0024): an agent whose cascade made no progress for a while, at a status
 * the cascade only passes through, gets its request announced again, so that whichever step's
 * event was lost on the way is done, or reported, again. Every step is idempotent and reports
 * what it did on a repeat; the steps whose reports are kept in their own records (provisioning's
 * launch, health's running) repeat them under their original event ids, so a consumer that had
 * them dedupes. Pure: the directory's loop reads, decides here, and writes.
 */

/** The statuses a hire or a retirement passes through on its way to `running` or `retired`. */
export const IN_PASSING: readonly AgentStatus[] = [
  'hired',
  'credentials-issued',
  'chat-account-ready',
  'launching',
  'retiring',
];

export interface ResyncPolicy {
  /** No progress for this long at a status in passing: announce the request again. */
  readonly stalledMs: number;
  /** Each further resync at the same status waits twice as long, up to this. */
  readonly maxWaitMs: number;
}

/** What the directory remembers of its resyncs of one agent (kept in its record). */
export interface ResyncMark {
  /** The status the agent was at when it was last resynced. */
  readonly status: AgentStatus;
  /** Resyncs at that status so far. */
  readonly count: number;
  readonly at: string;
}

export type Resync =
  | { readonly action: 'none' }
  | { readonly action: 'repeat-hire'; readonly mark: ResyncMark }
  | { readonly action: 'repeat-retirement'; readonly mark: ResyncMark };

/**
 * Whether the agent is due a resync now. Progress is the record's last write (`updatedAt`): a
 * status change, a step's report, or the previous resync, so the wait restarts after each. An
 * agent with events still in its outbox is the outbox sweeper's, not ours.
 */
export function resyncDue(
  agent: AgentRecord & { readonly resync?: ResyncMark | undefined; readonly outbox: readonly unknown[] },
  now: Date,
  policy: ResyncPolicy,
): Resync {
  if (!IN_PASSING.includes(agent.status) || agent.outbox.length > 0) return { action: 'none' };
  const previous = agent.resync?.status === agent.status ? agent.resync.count : 0;
  const wait = Math.min(policy.stalledMs * 2 ** previous, Math.max(policy.stalledMs, policy.maxWaitMs));
  if (now.getTime() - Date.parse(agent.updatedAt) < wait) return { action: 'none' };
  const mark: ResyncMark = { status: agent.status, count: previous + 1, at: now.toISOString() };
  return agent.status === 'retiring'
    ? { action: 'repeat-retirement', mark }
    : { action: 'repeat-hire', mark };
}
