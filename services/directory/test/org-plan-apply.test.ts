import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reorganise, sampleOrgFile } from '../src/sample/sample-company.ts';
import { testDirectory } from './helpers.ts';

/** What an apply answers. */
interface ApplyAnswer {
  applied: { hire: number; update: number; retire: number };
  notApplied: unknown[];
}
const applyResult = (response: { json: () => unknown }) => response.json() as ApplyAnswer;

// Org as code over in-memory adapters: plan, apply, convergence, and an apply cut short.
describe('org plan and apply', () => {
  const org = sampleOrgFile({ seed: 3, size: 300 });
  const post = async (
    app: Awaited<ReturnType<typeof testDirectory>>['app'],
    auth: Record<string, string>,
    route: 'plan' | 'apply',
    body: unknown,
  ) => app.inject({ method: 'POST', url: `/v1/org/${route}`, headers: auth, payload: body as object });

  it('applies a 300-agent org file; the changed file plans exactly its 10 changes; apply --prune converges; again is a no-op', async () => {
    const { app, auth, store, publisher } = await testDirectory();
    const first = await post(app, auth, 'apply', { org });
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(applyResult(first).applied, { hire: 300, update: 0, retire: 0 });
    assert.equal([...store.agents.values()].filter((a) => a.status === 'hired').length, 300);

    const change = reorganise(org, { hires: 2, moves: 3, promotions: 1, removals: 4 });
    const planned = await post(app, auth, 'plan', { org: change.file, prune: true });
    assert.equal(planned.statusCode, 200, planned.body);
    const plan = planned.json<{
      changes: { action: string; agentId: string; kinds?: string[] }[];
      summary: Record<string, number>;
    }>();
    const ids = (action: string, kind?: string) =>
      plan.changes
        .filter((c) => c.action === action && (kind === undefined || (c.kinds ?? []).includes(kind)))
        .map((c) => c.agentId)
        .sort();
    assert.equal(plan.changes.length, 10);
    assert.deepEqual(ids('hire'), [...change.hired].sort());
    assert.deepEqual(ids('update', 'move'), [...change.moved].sort());
    assert.deepEqual(ids('update', 'promotion'), [...change.promoted].sort());
    assert.deepEqual(ids('retire'), [...change.removed].sort());
    assert.deepEqual(plan.summary, { hire: 2, update: 4, retire: 4, unchanged: 292, notInFile: 0 });

    // Without prune the four stay, and the plan says so.
    const kept = (await post(app, auth, 'plan', { org: change.file })).json<{
      summary: Record<string, number>;
    }>();
    assert.deepEqual(kept.summary, { hire: 2, update: 4, retire: 0, unchanged: 292, notInFile: 4 });

    const applied = await post(app, auth, 'apply', { org: change.file, prune: true });
    assert.equal(applied.statusCode, 200, applied.body);
    assert.deepEqual(applyResult(applied).applied, { hire: 2, update: 4, retire: 4 });
    assert.deepEqual(applyResult(applied).notApplied, []);
    // Nothing of their cascade had run (no services here), so the retirement completes at once.
    for (const id of change.removed) assert.match(String(store.agents.get(id)?.status), /^retir(ing|ed)$/);
    for (const id of change.promoted) assert.equal(store.agents.get(id)?.level, 'executive');

    const before = publisher.published.length;
    const again = await post(app, auth, 'apply', { org: change.file, prune: true });
    assert.deepEqual(applyResult(again).applied, { hire: 0, update: 0, retire: 0 });
    assert.equal(publisher.published.length, before, 'a second apply publishes nothing');
    await app.close();
  });

  it('streams progress as lines, then the result', async () => {
    const { app, auth } = await testDirectory();
    const small = sampleOrgFile({ seed: 3, size: 40 });
    const total = small.people.length;
    const response = await app.inject({
      method: 'POST',
      url: '/v1/org/apply',
      headers: { ...auth, accept: 'application/x-ndjson' },
      payload: { org: small },
    });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /application\/x-ndjson/);
    const lines = response.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines[0], { type: 'progress', done: 0, total });
    assert.equal(lines.filter((l) => l['type'] === 'progress').length, total + 1);
    assert.deepEqual((lines.at(-1) as { type: string; applied: unknown }).applied, {
      hire: total,
      update: 0,
      retire: 0,
    });
    await app.close();
  });

  it('plans and converges wake policy, idle timeout and budget; a setting left out goes back to the default', async () => {
    const { app, auth, store, publisher } = await testDirectory();
    const small = sampleOrgFile({ seed: 4, size: 20 });
    const [first, second, third] = small.people;
    assert.ok(first !== undefined && second !== undefined && third !== undefined);
    const withSettings = {
      ...small,
      people: small.people.map((p) =>
        p.id === first.id
          ? { ...p, wakePolicy: 'on-demand', idleTimeoutSeconds: 600, monthlyBudgetUsd: 30 }
          : p,
      ),
    };
    const hired = await post(app, auth, 'apply', { org: withSettings });
    assert.equal(hired.statusCode, 200, hired.body);
    const agent = store.agents.get(first.id);
    assert.deepEqual(
      [agent?.wakePolicy, agent?.idleTimeoutSeconds, agent?.monthlyBudgetUsd],
      ['on-demand', 600, 30],
      'a hire carries the settings',
    );
    const hireEvent = publisher.published.find((e) => e.type === 'AgentHired' && e.data.agentId === first.id);
    assert.equal((hireEvent?.data as { monthlyBudgetUsd?: number }).monthlyBudgetUsd, 30);

    // Change the budget of one, the wake policy of another, and drop every setting of the first.
    const changed = {
      ...small,
      people: small.people.map((p) =>
        p.id === second.id
          ? { ...p, monthlyBudgetUsd: 12.5 }
          : p.id === third.id
            ? { ...p, wakePolicy: 'always-on' }
            : p,
      ),
    };
    const planned = (await post(app, auth, 'plan', { org: changed })).json<{
      changes: {
        action: string;
        agentId: string;
        kinds: string[];
        changes: Record<string, unknown>;
        previous: Record<string, unknown>;
      }[];
    }>();
    const byId = new Map(planned.changes.map((c) => [c.agentId, c]));
    assert.equal(planned.changes.length, 3);
    assert.deepEqual(byId.get(first.id)?.kinds, ['wake', 'budget']);
    assert.deepEqual(byId.get(first.id)?.changes, {
      wakePolicy: null,
      idleTimeoutSeconds: null,
      monthlyBudgetUsd: null,
    });
    assert.deepEqual(byId.get(first.id)?.previous, {
      wakePolicy: 'on-demand',
      idleTimeoutSeconds: 600,
      monthlyBudgetUsd: 30,
    });
    assert.deepEqual(byId.get(second.id)?.kinds, ['budget']);
    assert.deepEqual(byId.get(second.id)?.changes, { monthlyBudgetUsd: 12.5 });
    assert.deepEqual(byId.get(third.id)?.kinds, ['wake']);

    const applied = await post(app, auth, 'apply', { org: changed });
    assert.deepEqual(applyResult(applied).applied, { hire: 0, update: 3, retire: 0 });
    const [a, b, c] = [first.id, second.id, third.id].map((id) => store.agents.get(id));
    assert.deepEqual(
      [a?.wakePolicy, a?.idleTimeoutSeconds, a?.monthlyBudgetUsd],
      [undefined, undefined, undefined],
    );
    assert.equal(b?.monthlyBudgetUsd, 12.5);
    assert.equal(c?.wakePolicy, 'always-on');
    const updates = publisher.published.filter((e) => e.type === 'AgentUpdated');
    assert.ok(
      updates.some(
        (e) =>
          e.data.agentId === second.id &&
          (e.data as { changes?: { monthlyBudgetUsd?: number } }).changes?.monthlyBudgetUsd === 12.5,
      ),
      'the gateway learns the new budget from AgentUpdated',
    );
    const again = await post(app, auth, 'apply', { org: changed });
    assert.deepEqual(applyResult(again).applied, { hire: 0, update: 0, retire: 0 });
    await app.close();
  });

  it('an apply cut short by a failing store finishes when run again, hiring nobody twice', async () => {
    const { app, auth, store, publisher, directory } = await testDirectory();
    const small = sampleOrgFile({ seed: 5, size: 40 });
    const total = small.people.length;
    // The store dies after 15 writes, as a directory would if killed mid-apply.
    const write = store.write.bind(store);
    let writes = 0;
    Object.assign(store, {
      write: async (...args: Parameters<typeof write>) => {
        if (++writes > 15) throw new Error('store unavailable');
        return write(...args);
      },
    });
    const cut = await post(app, auth, 'apply', { org: small });
    assert.equal(cut.statusCode, 500);
    Object.assign(store, { write });
    const hiredBefore = [...store.agents.keys()].length;
    assert.ok(hiredBefore > 0 && hiredBefore < total, `some but not all hired (${hiredBefore})`);
    const resumed = await post(app, auth, 'apply', { org: small });
    assert.equal(resumed.statusCode, 200, resumed.body);
    assert.equal(applyResult(resumed).applied.hire, total - hiredBefore);
    await directory.sweepOutbox({ graceMs: 0 });
    // The bus is at-least-once: an event whose outbox was not cleared before the crash is
    // published again, with its original id, which consumers deduplicate (ADR 0005). One hire each.
    const hires = publisher.published.filter((e) => e.type === 'AgentHired');
    const eventIdsOf = new Map<string, Set<string>>();
    for (const e of hires)
      eventIdsOf.set(e.data.agentId, (eventIdsOf.get(e.data.agentId) ?? new Set()).add(e.metadata.eventId));
    assert.equal(eventIdsOf.size, total, 'every agent hired');
    for (const [agentId, ids] of eventIdsOf) assert.equal(ids.size, 1, `${agentId} hired once`);
    assert.equal(store.agents.size, total);
    await app.close();
  });

  it('refuses an invalid org whole, every error named by path, and changes nothing', async () => {
    const { app, auth, store } = await testDirectory();
    const person = (id: string, level: string, manager: string, extra: Record<string, unknown> = {}) => ({
      id,
      name: `Person ${id}`,
      title: 'Someone',
      level,
      department: 'Engineering',
      manager,
      ...extra,
    });
    const response = await post(app, auth, 'apply', {
      org: {
        version: 1,
        departments: [{ name: 'Engineering' }],
        people: [
          person('vp-one', 'vp', 'ceo'),
          person('loop-a', 'manager', 'loop-b'),
          person('loop-b', 'manager', 'loop-a'),
          person('orphan', 'ic', 'nobody-here'),
          person('vp-one', 'ic', 'ceo'),
          person('too-high', 'executive', 'vp-one'),
          person('bell', 'ic', 'vp-one', { name: 'Ring \u0007 Bell' }),
        ],
      },
    });
    assert.equal(response.statusCode, 400);
    const body = response.json<{ error: string; errors: { path: string; code: string }[] }>();
    assert.equal(body.error, 'INVALID_ORG');
    const found = body.errors.map((e) => `${e.path} ${e.code}`).sort();
    assert.deepEqual(found, [
      'org.people[1].level LEVEL_CANNOT_REPORT',
      'org.people[1].manager REPORTING_CYCLE',
      'org.people[2].level LEVEL_CANNOT_REPORT',
      'org.people[2].manager REPORTING_CYCLE',
      'org.people[3].manager UNKNOWN_MANAGER',
      'org.people[4].id DUPLICATE_ID',
      'org.people[5].level LEVEL_CANNOT_REPORT',
      'org.people[6].name CONTROL_CHARACTER',
    ]);
    assert.equal(store.agents.size, 0, 'nothing applied');
    await app.close();
  });

  it('documents both routes in the OpenAPI document, with the org file schema as the body', async () => {
    const { app } = await testDirectory();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { summary?: string; requestBody?: unknown }>>;
    }>();
    for (const route of ['/v1/org/plan', '/v1/org/apply']) {
      const post = doc.paths[route]?.['post'];
      assert.ok(post?.summary, route);
      assert.match(JSON.stringify(post.requestBody), /"people"/);
    }
    await app.close();
  });
});
