import type { Logger } from '@ocf/logging';
import type { Sleep } from '@ocf/runtime';
import type { Naming } from '@ocf/naming';
import type { AgentSecrets, BridgeStore, Homeserver } from '../ports.ts';

/** What the bridge's reconcile logic is made of. service.ts passes the real things, tests fakes. */
export interface BridgeDeps {
  readonly homeserver: Homeserver;
  readonly store: BridgeStore;
  readonly secrets: AgentSecrets;
  readonly naming: Naming;
  /** The human at the root of the org: invited to every org room. */
  readonly ceoUserId: string;
  /** Unique ids for lock owners and room stays (randomUUID). */
  readonly newId: () => string;
  readonly now: () => Date;
  /** How long an agent's lock holds without renewal; a crashed worker blocks the agent that long. */
  readonly lockLeaseMs: number;
  /** Short in-process waits: for a busy agent lock, for a room another worker is creating. */
  readonly sleep: Sleep;
  /**
   * Org rooms this process has seen the bot in. The bot made them, and in a version 12 room the
   * creator can be neither kicked nor banned, so once in, it stays: no need to look again.
   */
  readonly roomsWithBot: Set<string>;
}

/** Per piece of work: where to log, and when to stop. */
export interface WorkContext {
  readonly logger: Logger;
  readonly signal: AbortSignal;
}
