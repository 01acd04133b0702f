import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AgentStateStore } from '../../src/ports.ts';
import { at, hire } from './records.ts';

/**
 * What the reconciler relies on from any AgentStateStore, run against the in-memory store (unit
 * tests) and DynamoDB on the emulator (integration tests). `fresh` gives each check an agent id
 * nobody else touches.
 */
export function agentStateStoreContract(store: () => AgentStateStore, fresh: () => string): void {
  it('keeps the newer of two facts of a kind, whatever order they come in', async () => {
    const agentId = fresh();
    assert.equal(await store().recordFact(agentId, 'hired', hire(agentId, 10, 'h2')), 'recorded');
    assert.equal(await store().recordFact(agentId, 'hired', hire(agentId, 5, 'h1')), 'stale');
    assert.equal(await store().recordFact(agentId, 'hired', hire(agentId, 10, 'h2')), 'stale', 'a duplicate');
    assert.equal((await store().get(agentId))?.hired?.eventId, 'h2');
    assert.equal(await store().recordFact(agentId, 'hired', hire(agentId, 20, 'h3')), 'recorded');
    assert.equal((await store().get(agentId))?.hired?.eventId, 'h3');
  });

  it("keeps facts of different kinds side by side, with the reconciler's own records", async () => {
    const agentId = fresh();
    await store().recordFact(agentId, 'chat', { at: at(2), matrixUserId: '@agent-x:fleet.test' });
    await store().recordFact(agentId, 'credentials', {
      at: at(1),
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
    });
    await store().setLaunch(agentId, { at: at(3), taskArn: 'arn:task/1', hireEventId: 'h', reported: false });
    await store().setLaunchFailure(agentId, {
      hireEventId: 'h',
      attempts: 1,
      retryAfter: at(9),
      reason: 'x',
      reported: false,
    });
    await store().setLaunchFailure(agentId, undefined);
    await store().setRetirement(agentId, {
      retiredEventId: 'r',
      at: at(4),
      archiveLocation: 'efs://fs/agents/x',
    });
    const record = await store().get(agentId);
    assert.ok(record);
    assert.equal(record.agentId, agentId);
    assert.equal(record.chat?.matrixUserId, '@agent-x:fleet.test');
    assert.equal(record.credentials?.at, at(1));
    assert.deepEqual(record.launch, { at: at(3), taskArn: 'arn:task/1', hireEventId: 'h', reported: false });
    assert.equal(record.launchFailure, undefined);
    assert.equal(record.retirement?.archiveLocation, 'efs://fs/agents/x');
  });

  it('reads every record in pages of at most the limit asked for, each record once', async () => {
    const ids = [fresh(), fresh(), fresh()];
    for (const id of ids) await store().recordFact(id, 'hired', hire(id, 1, `h-${id}`));
    const seen: string[] = [];
    let cursor: unknown;
    let pages = 0;
    do {
      const page = await store().page(cursor, 2);
      assert.ok(page.items.length <= 2, `a page of ${page.items.length}`);
      seen.push(...page.items.map((r) => r.agentId));
      cursor = page.next;
      pages++;
    } while (cursor !== undefined);
    for (const id of ids) assert.ok(seen.includes(id), `${id} in a page`);
    assert.equal(new Set(seen).size, seen.length, 'no record twice');
    assert.ok(pages >= 2);
  });

  it('answers undefined for an agent it never heard of', async () => {
    assert.equal(await store().get(fresh()), undefined);
  });
}
