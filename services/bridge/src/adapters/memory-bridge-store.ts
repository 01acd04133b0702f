import type { BridgeStore, ParkedAgent, RoomStay, StoredAgent } from '../ports.ts';

type Operation = keyof BridgeStore;

export interface MemoryBridgeStore extends BridgeStore {
  readonly agents: ReadonlyMap<string, StoredAgent>;
  readonly parkedAgents: ReadonlyMap<string, ParkedAgent>;
  /** The next `times` calls of `operation` fail with `error`. */
  failNext(operation: Operation, error: Error, times?: number): void;
}

/**
 * For unit tests: the bridge's table in Maps, with the same conditions as the DynamoDB store
 * (optimistic versions, lock leases, conditional unpark). test/support/bridge-store-contract.ts
 * runs the same checks against both.
 */
export function createMemoryBridgeStore(options: { now?: () => number } = {}): MemoryBridgeStore {
  const now = options.now ?? Date.now;
  const agents = new Map<string, StoredAgent>();
  const stays = new Map<string, Map<string, RoomStay>>();
  const locks = new Map<string, { owner: string; leaseUntil: number }>();
  const parkedAgents = new Map<string, ParkedAgent>();
  const failures = new Map<Operation, { error: Error; remaining: number }>();

  function run<T>(operation: Operation, body: () => T): Promise<T> {
    return new Promise((resolve) => {
      const injected = failures.get(operation);
      if (injected !== undefined) {
        if (--injected.remaining === 0) failures.delete(operation);
        throw injected.error;
      }
      resolve(body());
    });
  }

  const staysOf = (agentId: string): Map<string, RoomStay> => {
    let found = stays.get(agentId);
    if (found === undefined) stays.set(agentId, (found = new Map<string, RoomStay>()));
    return found;
  };

  return {
    agents,
    parkedAgents,

    getAgent: (agentId) => run('getAgent', () => structuredClone(agents.get(agentId))),

    putAgent: (record, expectedVersion) =>
      run('putAgent', () => {
        const current = agents.get(record.agentId);
        if ((current?.version ?? undefined) !== expectedVersion) return 'conflict' as const;
        agents.set(record.agentId, { record: structuredClone(record), version: (current?.version ?? 0) + 1 });
        return 'written' as const;
      }),

    stays: (agentId) =>
      run('stays', () => [...staysOf(agentId).values()].map((stay) => structuredClone(stay))),

    putStay: (agentId, stay) =>
      run('putStay', () => {
        staysOf(agentId).set(stay.roomKey, structuredClone(stay));
      }),

    deleteStay: (agentId, roomKey) =>
      run('deleteStay', () => {
        staysOf(agentId).delete(roomKey);
      }),

    acquireLock: (agentId, owner, leaseMs) =>
      run('acquireLock', () => {
        const held = locks.get(agentId);
        if (held !== undefined && held.owner !== owner && held.leaseUntil >= now()) return false;
        locks.set(agentId, { owner, leaseUntil: now() + leaseMs });
        return true;
      }),

    renewLock: (agentId, owner, leaseMs) =>
      run('renewLock', () => {
        if (locks.get(agentId)?.owner !== owner) return false;
        locks.set(agentId, { owner, leaseUntil: now() + leaseMs });
        return true;
      }),

    releaseLock: (agentId, owner) =>
      run('releaseLock', () => {
        if (locks.get(agentId)?.owner === owner) locks.delete(agentId);
      }),

    park: (parked) =>
      run('park', () => {
        parkedAgents.set(parked.agentId, { ...parked });
      }),

    parked: (limit) => run('parked', () => [...parkedAgents.values()].slice(0, limit)),

    unpark: (agentId, parkedAt) =>
      run('unpark', () => {
        if (parkedAgents.get(agentId)?.parkedAt === parkedAt) parkedAgents.delete(agentId);
      }),

    failNext(operation, error, times = 1) {
      failures.set(operation, { error, remaining: times });
    },
  };
}
