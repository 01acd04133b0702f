import assert from 'node:assert/strict';
import { it } from 'node:test';
import { EMPTY_PROGRESS } from '../../src/domain/status.ts';
import type { AgentStore, StoredAgent } from '../../src/ports.ts';

/**
 * What the directory relies on from any AgentStore, run against the in-memory store (unit tests)
 * and DynamoDB on the emulator (integration tests), so the fake cannot drift from the real one.
 * `store()` must return an empty store for each check.
 */
export function agentStoreContract(store: () => Promise<AgentStore>): void {
  const agent = (agentId: string, overrides: Partial<StoredAgent> = {}): StoredAgent => ({
    agentId,
    name: agentId,
    title: 'Engineer',
    level: 'ic',
    department: 'Engineering',
    team: 'Platform',
    managerId: 'boss',
    status: 'hired',
    progress: EMPTY_PROGRESS,
    hiredAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:00:00.000Z',
    hireEventId: `hire-${agentId}`,
    correlationId: `corr-${agentId}`,
    version: 1,
    outbox: [],
    ...overrides,
  });

  it('creates once: a second create of the same id reports that it exists, and changes nothing', async () => {
    const s = await store();
    assert.equal(await s.write(agent('ada')), 'written');
    assert.equal(await s.write(agent('ada', { title: 'Other' })), 'conflict');
    assert.equal((await s.get('ada'))?.title, 'Engineer');
    assert.equal(await s.get('nobody'), undefined);
  });

  it('round-trips a record with nested progress and an outbox', async () => {
    const s = await store();
    const record = agent('bob', {
      progress: {
        hire: { credentials: { state: 'done', at: '2026-11-25T10:00:01.000Z', detail: 'arn' } },
        retire: {},
      },
      outbox: [
        {
          eventId: 'e1',
          type: 'AgentHired',
          data: { agentId: 'bob' },
          correlationId: 'c',
          occurredAt: '2026-11-25T10:00:00.000Z',
        },
      ],
      skills: ['typescript'],
    });
    await s.write(record);
    assert.deepEqual(await s.get('bob'), record);
  });

  it('updates only from the version it read (compare-and-set)', async () => {
    const s = await store();
    await s.write(agent('cy'));
    assert.equal(await s.write(agent('cy', { version: 2, title: 'Lead' })), 'written');
    assert.equal(await s.write(agent('cy', { version: 2, title: 'Stale' })), 'conflict');
    assert.equal((await s.get('cy'))?.title, 'Lead');
  });

  it('filters by department, team (within a department), level, status and manager, and pages', async () => {
    const s = await store();
    await s.write(agent('a1'));
    await s.write(agent('a2'));
    await s.write(agent('a3', { team: 'Data' }));
    await s.write(agent('p1', { department: 'Product', team: 'Platform', managerId: 'other' }));
    await s.write(agent('m1', { level: 'manager', status: 'running', team: undefined }));
    const ids = async (filter: Parameters<AgentStore['list']>[0]) => {
      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.list(filter, { limit: 2, cursor });
        all.push(...page.items.map((a) => a.agentId));
        cursor = page.cursor;
      } while (cursor !== undefined);
      return all.sort();
    };
    assert.deepEqual(await ids({ department: 'Engineering', team: 'Platform' }), ['a1', 'a2']);
    assert.deepEqual(await ids({ department: 'Product', team: 'Platform' }), ['p1']);
    assert.deepEqual(await ids({ level: 'manager' }), ['m1']);
    assert.deepEqual(await ids({ status: 'running' }), ['m1']);
    assert.deepEqual(await ids({ managerId: 'boss', department: 'Engineering', level: 'ic' }), [
      'a1',
      'a2',
      'a3',
    ]);
    assert.deepEqual(await ids({}), ['a1', 'a2', 'a3', 'm1', 'p1']);
    await assert.rejects(s.list({ team: 'Platform' }, { limit: 10 }), /give department too/);
    await assert.rejects(s.list({}, { limit: 10, cursor: 'not-a-cursor' }), /cursor/);
  });

  it('finds the records that still owe events', async () => {
    const s = await store();
    await s.write(agent('quiet'));
    await s.write(
      agent('owing', {
        outbox: [
          {
            eventId: 'e',
            type: 'AgentRetired',
            data: { agentId: 'owing' },
            correlationId: 'c',
            occurredAt: '2026-11-25T10:00:00.000Z',
          },
        ],
      }),
    );
    assert.deepEqual(
      (await s.withPendingEvents(10)).map((a) => a.agentId),
      ['owing'],
    );
    const owing = await s.get('owing');
    assert.ok(owing);
    await s.write({ ...owing, outbox: [], version: owing.version + 1 });
    assert.deepEqual(await s.withPendingEvents(10), []);
  });

  it('tells what changed since a time, oldest first, with only the latest write of each agent', async () => {
    const s = await store();
    const before = new Date(Date.now() - 1_000).toISOString();
    await s.write(agent('first'));
    await s.write(agent('second'));
    const all = await s.changedSince(before, 10);
    assert.deepEqual(
      all.map((change) => change.agent.agentId),
      ['first', 'second'],
    );
    assert.ok(all.every((change) => change.changedAt > before));
    assert.ok((all[0]?.changedAt ?? '') <= (all[1]?.changedAt ?? ''));
    // The change stamp stays out of the record itself.
    assert.deepEqual(all[0]?.agent, agent('first'));

    const after = all[1]?.changedAt ?? '';
    assert.deepEqual(await s.changedSince(after, 10), [], 'nothing changed after the last write');
    await s.write(agent('first', { title: 'Lead', version: 2 }));
    const next = await s.changedSince(after, 10);
    assert.deepEqual(
      next.map((change) => [change.agent.agentId, change.agent.version, change.agent.title]),
      [['first', 2, 'Lead']],
    );
    assert.equal((await s.changedSince(before, 1)).length, 1, 'the limit holds');
  });
}
