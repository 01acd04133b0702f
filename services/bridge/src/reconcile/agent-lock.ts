import { errorMessage, TransientError } from '@ocf/errors';
import type { BridgeDeps, WorkContext } from './deps.ts';

/** A reconcile of one agent takes a second or two: waiting that long beats a consumer back-off. */
const LOCK_WAIT_MS = 3_000;
const LOCK_POLL_MS = 100;

/**
 * Runs `work` while holding the agent's lock in the bridge table. Everything the bridge does for
 * one agent — its record, its account, its rooms — happens under it, so two events about the same
 * agent (a transfer and a redelivered hire, handled by two workers at once) cannot interleave and
 * leave the agent in a room its latest position no longer has.
 *
 * The lock is a lease, renewed while the work runs: a worker that dies blocks the agent for one
 * lease at most. Events about one agent come in bursts (its AgentHired and its CredentialsIssued a
 * moment apart), so a busy lock is waited for briefly; still busy, it is a TransientError and the
 * consumer tries the event again later.
 */
export async function withAgentLock<T>(
  deps: Pick<BridgeDeps, 'store' | 'newId' | 'lockLeaseMs' | 'sleep'>,
  agentId: string,
  context: WorkContext,
  work: () => Promise<T>,
): Promise<T> {
  const { store, lockLeaseMs } = deps;
  const owner = deps.newId();
  if (!(await acquire(deps, agentId, owner))) {
    throw new TransientError(
      'AGENT_BUSY',
      `another worker is acting for agent ${agentId}; trying again later`,
    );
  }
  const renewal = setInterval(() => {
    store.renewLock(agentId, owner, lockLeaseMs).then(
      (held) => {
        // The record's optimistic version still guards against a second writer; say what happened.
        if (!held) context.logger.warn('lost the agent lock while working; its lease ran out', { agentId });
      },
      (error: unknown) => {
        context.logger.warn('could not renew the agent lock', { agentId, error: errorMessage(error) });
      },
    );
  }, lockLeaseMs / 3);
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    await store.releaseLock(agentId, owner).catch((error: unknown) => {
      context.logger.warn('could not release the agent lock; it expires with its lease', {
        agentId,
        error: errorMessage(error),
      });
    });
  }
}

async function acquire(
  deps: Pick<BridgeDeps, 'store' | 'lockLeaseMs' | 'sleep'>,
  agentId: string,
  owner: string,
): Promise<boolean> {
  for (let waited = 0; ; waited += LOCK_POLL_MS) {
    if (await deps.store.acquireLock(agentId, owner, deps.lockLeaseMs)) return true;
    if (waited >= LOCK_WAIT_MS) return false;
    await deps.sleep(LOCK_POLL_MS);
  }
}
