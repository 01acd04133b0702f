import type { Logger } from '@ocf/logging';
import { createTriggerLoop, type Sleep, type TriggerLoop } from '@ocf/runtime';
import type { AgentStore, StoredAgent } from './ports.ts';

export interface AgentChangeFeedOptions {
  readonly store: Pick<AgentStore, 'changedSince'>;
  readonly logger: Logger;
  /** How often the change index is read while anyone is watching. */
  readonly pollMs: number;
  /**
   * How far behind the newest write each read starts again. The index is eventually consistent
   * and every instance stamps writes with its own clock, so a write can show up to this late;
   * reading the window again (and dropping what was already delivered) is what makes it safe.
   */
  readonly settleMs: number;
  /** Changes read per Query. */
  readonly pageSize?: number;
  readonly now?: () => number;
  /** The loop's waits; tests step it by hand. */
  readonly sleep?: Sleep;
}

export type AgentChangeListener = (agent: StoredAgent) => void;

export interface AgentChangeFeed {
  /**
   * Calls `listener` with every agent written from now on, as it was after the write. A write is
   * delivered at least once (rarely twice: compare `version`); writes to one agent arrive in order.
   * Returns the function that stops the calls.
   */
  subscribe(listener: AgentChangeListener): () => void;
  readonly subscribers: number;
  /** For the service lifecycle: the loop that reads the change index. */
  readonly loop: TriggerLoop;
}

/**
 * One follower of the agents' change index per directory process, shared by every watcher it
 * serves (ADR 0022). While nobody watches it reads nothing; while someone does,
 * each read is one Query for what changed since its cursor — an idle fleet costs one empty Query
 * per poll, however many agents it has, instead of a full listing per watcher per refresh.
 * Changes made through another directory instance arrive the same way as this one's own.
 */
export function createAgentChangeFeed(options: AgentChangeFeedOptions): AgentChangeFeed {
  const { store, logger, pollMs, settleMs } = options;
  const pageSize = options.pageSize ?? 500;
  const now = options.now ?? Date.now;
  const listeners = new Set<AgentChangeListener>();
  /** Reads start after this (ISO); undefined while nobody watches. */
  let horizon: string | undefined;
  /** `agentId@version` → changedAt of what was delivered after the horizon, so a re-read is dropped. */
  const delivered = new Map<string, string>();

  const loop = createTriggerLoop({
    pass: async (signal) => {
      if (listeners.size === 0) {
        horizon = undefined;
        delivered.clear();
        return;
      }
      const startedAt = now();
      horizon ??= iso(startedAt - settleMs);
      let since = horizon;
      for (;;) {
        const changes = await store.changedSince(since, pageSize);
        for (const { agent, changedAt } of changes) {
          const key = `${agent.agentId}@${agent.version}`;
          if (delivered.has(key)) continue;
          delivered.set(key, changedAt);
          for (const listener of listeners) notify(listener, agent);
        }
        if (changes.length < pageSize || signal.aborted) break;
        // A full page: go on from its last change, one millisecond early so writes that share
        // that millisecond are not skipped (re-reads are dropped above).
        since = iso(Date.parse(changes.at(-1)?.changedAt ?? since) - 1);
      }
      // What is older than the settle window can no longer appear late: move past it for good.
      const settled = iso(startedAt - settleMs);
      if (settled > horizon) horizon = settled;
      for (const [key, changedAt] of delivered) if (changedAt <= horizon) delivered.delete(key);
    },
    // Nobody watching: nothing to read, so no reason to wake until someone subscribes.
    idleMs: () => (listeners.size === 0 ? IDLE_MS : pollMs),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    onError: (error) => {
      logger.warn('reading the agents change feed failed; trying again', { error });
      return pollMs;
    },
  });

  function notify(listener: AgentChangeListener, agent: StoredAgent): void {
    try {
      listener(agent);
    } catch (error) {
      // One broken watcher must not stop the others.
      logger.warn('an agents change watcher failed', { error });
      listeners.delete(listener);
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (listeners.size === 1) loop.trigger();
      return () => {
        listeners.delete(listener);
      };
    },
    get subscribers() {
      return listeners.size;
    },
    loop,
  };
}

const IDLE_MS = 60_000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
