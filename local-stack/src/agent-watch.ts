import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { AgentSummary } from './fleet-status.ts';

export interface WatchedAgent extends AgentSummary {
  /** Bumped by every write: of two views of one agent, the higher is newer. */
  readonly version: number;
}

export interface FollowAgentsOptions {
  readonly directoryUrl: string;
  readonly token: string;
  readonly signal: AbortSignal;
  /**
   * The agents as last heard, newest version of each, after every change once the first
   * snapshot is complete (never with half a snapshot, which would look like agents vanishing).
   */
  readonly onAgents: (agents: ReadonlyMap<string, WatchedAgent>) => void;
}

/**
 * Follows the directory's watch stream (GET /v1/watch/agents) for as long as the connection
 * lasts: the snapshot, then every change. Resolves when the server ends the stream, rejects when
 * it cannot connect or the connection breaks; the caller reconnects, and each connection starts
 * from a fresh snapshot. Costs the directory nothing while the fleet is idle, unlike listing
 * every agent every few seconds.
 */
export async function followAgents(options: FollowAgentsOptions): Promise<void> {
  const url = `${options.directoryUrl}/v1/watch/agents`;
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${options.token}`, accept: 'text/event-stream' },
    signal: options.signal,
  });
  if (!response.ok || response.body === null) throw new Error(`GET ${url}: ${response.status}`);
  const agents = new Map<string, WatchedAgent>();
  let synced = false;
  const messages = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  for await (const message of messages) {
    if (message.event === 'synced') {
      synced = true;
    } else if (message.event === 'agent') {
      const agent = JSON.parse(message.data) as WatchedAgent;
      const known = agents.get(agent.agentId);
      if (known !== undefined && known.version >= agent.version) continue;
      agents.set(agent.agentId, agent);
    } else {
      continue;
    }
    if (synced) options.onAgents(agents);
  }
}
