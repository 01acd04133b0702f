import { TransientError } from '@ocf/errors';
import { emptyRecord, lifecycle, positionOf, type AgentRecord } from '../domain/agent-record.ts';
import { displayName } from '@ocf/naming';
import type { BridgeStore, StoredAgent } from '../ports.ts';
import { closeAccount, ensureAccount } from './chat-account.ts';
import type { BridgeDeps, WorkContext } from './deps.ts';
import { endAllStays, reconcileStays } from './room-stays.ts';

export type ReconcileOutcome =
  /** Not enough known yet (no hire, or no secret): another event will finish the job. */
  | { readonly kind: 'waiting'; readonly reason: string }
  /** The account exists, has its name, its token in the secret, and sits in exactly its rooms. */
  | { readonly kind: 'ready'; readonly matrixUserId: string; readonly becameReady: boolean }
  /** Out of every room; no session of the agent is left (there may never have been an account). */
  | { readonly kind: 'deactivated'; readonly matrixUserId: string };

/**
 * Level-triggered: makes the homeserver match everything the bridge knows about the agent,
 * whichever event brought the latest piece. Every handler records its event's facts and then
 * calls this; so does the sweeper for agents whose earlier attempts kept failing.
 */
export async function reconcileAgent(
  deps: BridgeDeps,
  stored: StoredAgent,
  context: WorkContext,
): Promise<ReconcileOutcome> {
  const { record } = stored;
  const matrixUserId = deps.naming.agentUserId(record.agentId);
  const life = lifecycle(record);
  switch (life.kind) {
    case 'unknown':
      return { kind: 'waiting', reason: 'the hire has not reached the bridge yet' };
    case 'awaiting-credentials':
      return { kind: 'waiting', reason: "the agent's secret has not been issued yet" };
    case 'active': {
      const { appliedSecretVersionId } = await ensureAccount(
        deps,
        record.agentId,
        life.position,
        record.account.appliedSecretVersionId,
        record.account.state !== 'ready',
        context,
      );
      // Noted before the rooms: if they fail, the retry must not mint (and log out) a token again.
      const noted = await saveRecord(deps.store, stored, {
        ...record,
        account: { ...record.account, appliedSecretVersionId },
      });
      await reconcileStays(deps, record.agentId, life.position, context);
      const becameReady = noted.record.account.state !== 'ready';
      if (becameReady) {
        await saveRecord(deps.store, noted, {
          ...noted.record,
          account: { ...noted.record.account, state: 'ready' },
        });
      }
      return { kind: 'ready', matrixUserId, becameReady };
    }
    case 'retired': {
      // Farewells and leaving first, then the rooms the agent joined by itself and its sessions.
      const position = positionOf(record.fields);
      await endAllStays(
        deps,
        record.agentId,
        position === undefined ? record.agentId : displayName(position),
        context,
      );
      await closeAccount(deps, record.agentId, context);
      // No token of the bridge's is alive any more: a re-hire mints a new one, whichever version
      // of the secret is current then.
      await saveRecord(deps.store, stored, { ...record, account: { state: 'deactivated' } });
      return { kind: 'deactivated', matrixUserId };
    }
  }
}

/** Reads the agent's record, applies `merge` (an event's facts) and writes it if it changed. */
export async function recordFacts(
  store: BridgeStore,
  agentId: string,
  merge: (record: AgentRecord) => AgentRecord,
): Promise<StoredAgent> {
  const stored = (await store.getAgent(agentId)) ?? { record: emptyRecord(agentId), version: 0 };
  return saveRecord(store, stored, merge(stored.record));
}

/** Writes the record if it changed (a repeated event merges to the same record: nothing to write). */
async function saveRecord(
  store: BridgeStore,
  stored: StoredAgent,
  record: AgentRecord,
): Promise<StoredAgent> {
  if (JSON.stringify(record) === JSON.stringify(stored.record)) return stored;
  const written = await store.putAgent(record, stored.version === 0 ? undefined : stored.version);
  if (written === 'conflict') {
    // Only possible when a worker lost the agent's lock to another one: let the next delivery redo it.
    throw new TransientError(
      'AGENT_RECORD_CONTENDED',
      `agent ${record.agentId} was changed by another worker`,
    );
  }
  return { record, version: stored.version + 1 };
}
