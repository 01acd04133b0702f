import assert from 'node:assert/strict';
import { it } from 'node:test';
import { emptyRecord, mergeHire } from '../../src/domain/agent-record.ts';
import type { BridgeStore, RoomStay } from '../../src/ports.ts';

/**
 * What the bridge relies on from any BridgeStore, run against the in-memory store (unit tests) and
 * DynamoDB on the emulator (integration tests). `unique` gives each check an agent id of its own.
 */
export function bridgeStoreContract(store: () => BridgeStore, unique: () => string): void {
  const record = (agentId: string) =>
    mergeHire(
      emptyRecord(agentId),
      {
        agentId,
        name: 'Ada Lovelace',
        title: 'Engineer',
        level: 'ic',
        department: 'Engineering',
        managerId: 'ceo',
      },
      '2026-11-25T10:00:00.000Z',
    );
  const stay = (roomKey: string): RoomStay => ({
    room: { kind: 'all-employees' },
    roomKey,
    roomId: `!${roomKey}:hs`,
    members: ['@agent-x:hs'],
    stayId: 'stay-1',
    welcomed: false,
    farewellSent: false,
  });

  it('writes a record only over the version it read', async () => {
    const agentId = unique();
    assert.equal(await store().getAgent(agentId), undefined);
    assert.equal(await store().putAgent(record(agentId), undefined), 'written');
    assert.equal(await store().putAgent(record(agentId), undefined), 'conflict', 'someone made it first');
    const stored = await store().getAgent(agentId);
    assert.deepEqual(stored, { record: record(agentId), version: 1 });
    assert.equal(await store().putAgent(record(agentId), 1), 'written');
    assert.equal(await store().putAgent(record(agentId), 1), 'conflict', 'someone wrote since');
    assert.equal((await store().getAgent(agentId))?.version, 2);
  });

  it("keeps an agent's room stays, one per room", async () => {
    const agentId = unique();
    await store().putStay(agentId, stay('all-employees'));
    await store().putStay(agentId, stay('sales.platform-team'));
    await store().putStay(agentId, { ...stay('all-employees'), welcomed: true });
    const stays = await store().stays(agentId);
    assert.deepEqual(stays.map((s) => [s.roomKey, s.welcomed]).sort(), [
      ['all-employees', true],
      ['sales.platform-team', false],
    ]);
    await store().deleteStay(agentId, 'all-employees');
    assert.deepEqual(
      (await store().stays(agentId)).map((s) => s.roomKey),
      ['sales.platform-team'],
    );
    assert.deepEqual(await store().stays(unique()), []);
  });

  it('lends an agent lock to one owner at a time, until its lease runs out', async () => {
    const agentId = unique();
    assert.equal(await store().acquireLock(agentId, 'a', 60_000), true);
    assert.equal(await store().acquireLock(agentId, 'b', 60_000), false);
    assert.equal(await store().renewLock(agentId, 'b', 60_000), false);
    assert.equal(await store().renewLock(agentId, 'a', 60_000), true);
    await store().releaseLock(agentId, 'b');
    assert.equal(await store().acquireLock(agentId, 'b', 60_000), false, 'only its owner releases it');
    await store().releaseLock(agentId, 'a');
    assert.equal(await store().acquireLock(agentId, 'b', 1), true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await store().acquireLock(agentId, 'c', 60_000), true, "b's lease ran out");
  });

  it('parks agents, and unparks one only if nobody parked it again since', async () => {
    const agentId = unique();
    const parked = {
      agentId,
      parkedAt: '2026-11-25T10:00:00.000Z',
      reason: 'homeserver down',
      correlationId: 'c',
      causationId: 'e',
    };
    await store().park(parked);
    assert.ok(
      (await store().parked(1000)).some((p) => p.agentId === agentId && p.reason === 'homeserver down'),
    );
    await store().park({ ...parked, parkedAt: '2026-11-25T10:05:00.000Z' });
    await store().unpark(agentId, parked.parkedAt);
    assert.ok(
      (await store().parked(1000)).some((p) => p.agentId === agentId),
      'parked again meanwhile',
    );
    await store().unpark(agentId, '2026-11-25T10:05:00.000Z');
    assert.ok(!(await store().parked(1000)).some((p) => p.agentId === agentId));
  });
}
