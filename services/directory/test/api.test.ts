import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent } from '@ocf/events';
import { ic, manager, testDirectory, vp } from './helpers.ts';

describe('directory REST API', () => {
  it('hires: 202 with a status URL, one record, one AgentHired', async () => {
    const { hire, publisher, store } = await testDirectory();
    const response = await hire(vp);
    assert.equal(response.statusCode, 202, response.body);
    assert.deepEqual(response.json(), {
      agentId: 'grace-hopper',
      status: 'hired',
      statusUrl: '/v1/agents/grace-hopper',
      created: true,
    });
    assert.equal(response.headers.location, '/v1/agents/grace-hopper');
    assert.equal(store.agents.size, 1);
    assert.deepEqual(
      publisher.published.map((e) => [e.type, e.data]),
      [
        [
          'AgentHired',
          {
            agentId: 'grace-hopper',
            name: 'Grace Hopper',
            title: 'VP Engineering',
            level: 'vp',
            department: 'Engineering',
            managerId: 'ceo',
          },
        ],
      ],
    );
    assert.equal(store.agents.get('grace-hopper')?.outbox.length, 0, 'outbox cleared after publishing');
  });

  it('derives the agent id from the name', async () => {
    const { hire } = await testDirectory();
    const { agentId: _id, ...withoutId } = vp;
    const response = await hire({ ...withoutId, name: 'Grâce  Hopper-Jones' });
    assert.equal(response.json<{ agentId: string }>().agentId, 'grace-hopper-jones');
  });

  it('accepts the same hire again without effect', async () => {
    const { hire, publisher, store } = await testDirectory();
    await hire(vp);
    const again = await hire(vp);
    assert.equal(again.statusCode, 202);
    assert.equal(again.json<{ created: boolean }>().created, false);
    assert.equal(store.agents.size, 1);
    assert.equal(publisher.published.length, 1);
  });

  it('refuses a conflicting hire of a taken id (the chat username) with 409', async () => {
    const { hire, store } = await testDirectory();
    await hire(vp);
    const conflict = await hire({ ...vp, title: 'Someone else' });
    assert.equal(conflict.statusCode, 409);
    assert.equal(conflict.json<{ error: string }>().error, 'AGENT_ID_TAKEN');
    assert.equal(store.agents.get('grace-hopper')?.title, 'VP Engineering', 'nothing half-written');
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['a missing title', { ...vp, title: undefined }, 'body.title'],
    ['an unknown level', { ...vp, level: 'overlord' }, 'body.level'],
    ['an unknown field', { ...vp, manger: 'ceo' }, 'body.manger'],
    ['a bad agent id', { ...vp, agentId: 'Grace Hopper' }, 'body.agentId'],
    ['an unknown manager', { ...ic, manager: 'nobody-here' }, 'body.manager'],
    [
      'a level that cannot report to its manager',
      { ...vp, agentId: 'vp-two', manager: 'grace-hopper' },
      'body.level',
    ],
    ['an empty name', { ...vp, name: '' }, 'body.name'],
  ];
  for (const [what, body, field] of invalid) {
    it(`answers ${what} with 400 naming ${field}, writing nothing`, async () => {
      const { hire, store, publisher } = await testDirectory();
      await hire(vp);
      const before = store.agents.size;
      const response = await hire(body);
      assert.equal(response.statusCode, 400, response.body);
      const error = response.json<{
        message: string;
        field?: string;
        issues?: { field: string; message: string }[];
      }>();
      assert.ok(
        error.field === field || error.message.includes(field),
        `${field} not named in ${response.body}`,
      );
      // Each issue names its field, so a form can show it beside that field.
      assert.ok(
        error.issues?.some((issue) => issue.field === field),
        `${field} not among the issues of ${response.body}`,
      );
      assert.equal(store.agents.size, before);
      assert.equal(publisher.published.length, 1);
    });
  }

  it('lists every field in error in a 400, each with its own message', async () => {
    const { hire } = await testDirectory();
    const response = await hire({ name: 'Bad; Hire', department: 'Engineering', manager: 'ceo', mood: 1 });
    assert.equal(response.statusCode, 400);
    const fields = response.json<{ issues: { field: string }[] }>().issues.map((i) => i.field);
    assert.deepEqual(fields, ['body.mood']);
    const second = await hire({ name: 'Bad Hire', department: 'Engineering', manager: 'ceo', level: 'x' });
    const issues = second.json<{ issues: { field: string; message: string }[] }>().issues;
    assert.deepEqual(issues.map((i) => i.field).sort(), ['body.level', 'body.title']);
    for (const issue of issues) assert.ok(issue.message.startsWith(issue.field), issue.message);
  });

  it('requires a valid token for every mutating call, and never echoes it', async () => {
    const { app } = await testDirectory();
    const calls = [
      { method: 'POST' as const, url: '/v1/agents', payload: vp },
      { method: 'PATCH' as const, url: '/v1/agents/grace-hopper', payload: { title: 'x' } },
      { method: 'POST' as const, url: '/v1/agents/grace-hopper/retire', payload: {} },
      { method: 'POST' as const, url: '/v1/agents/grace-hopper/credentials/rotate', payload: {} },
      { method: 'POST' as const, url: '/v1/org/import', payload: { agents: [vp] } },
    ];
    for (const call of calls) {
      for (const headers of [{}, { authorization: 'Bearer ocf_not-a-real-token' }]) {
        const response = await app.inject({ ...call, headers });
        assert.equal(response.statusCode, 401, `${call.method} ${call.url}`);
        assert.ok(!response.body.includes('ocf_not-a-real-token'));
      }
    }
  });

  it('shows one agent with every step of its cascade, and 404 for unknown ones', async () => {
    const { hire, app, readAuth } = await testDirectory();
    await hire(vp);
    const agent = await app.inject({ headers: readAuth, url: '/v1/agents/grace-hopper' });
    assert.equal(agent.statusCode, 200);
    const body = agent.json<{ status: string; manager: string; steps: { step: string; state: string }[] }>();
    assert.equal(body.status, 'hired');
    assert.equal(body.manager, 'ceo');
    assert.deepEqual(
      body.steps.map((s) => `${s.step}:${s.state}`),
      ['credentials:pending', 'chat-account:pending', 'task:pending'],
    );
    assert.equal((await app.inject({ headers: readAuth, url: '/v1/agents/nobody' })).statusCode, 404);
  });

  it('lists with filters and pages', async () => {
    const { hire, app, readAuth } = await testDirectory();
    await hire(vp);
    await hire(manager);
    await hire(ic);
    await hire({ ...ic, agentId: 'katherine-johnson', name: 'Katherine Johnson' });
    const page1 = await app.inject({
      headers: readAuth,
      url: '/v1/agents?department=Engineering&team=Platform&limit=2',
    });
    const first = page1.json<{ items: { agentId: string }[]; cursor?: string }>();
    assert.equal(first.items.length, 2);
    assert.ok(first.cursor);
    const page2 = await app.inject({
      headers: readAuth,
      url: `/v1/agents?department=Engineering&team=Platform&limit=2&cursor=${first.cursor}`,
    });
    const second = page2.json<{ items: { agentId: string }[]; cursor?: string }>();
    assert.deepEqual([...first.items, ...second.items].map((a) => a.agentId).sort(), [
      'ada-lovelace',
      'alan-turing',
      'katherine-johnson',
    ]);
    const ics = await app.inject({ headers: readAuth, url: '/v1/agents?level=ic' });
    assert.equal(ics.json<{ items: unknown[] }>().items.length, 2);
    const reports = await app.inject({ headers: readAuth, url: '/v1/agents?manager=alan-turing' });
    assert.equal(reports.json<{ items: unknown[] }>().items.length, 2);
    assert.equal(
      (await app.inject({ headers: readAuth, url: '/v1/agents?team=Platform' })).statusCode,
      400,
      'team needs department',
    );
    assert.equal((await app.inject({ headers: readAuth, url: '/v1/agents?limit=1000' })).statusCode, 400);
  });

  it('draws the org chart as a tree under the CEO', async () => {
    const { hire, app, readAuth } = await testDirectory();
    await hire(vp);
    await hire(manager);
    await hire(ic);
    const chart = (await app.inject({ headers: readAuth, url: '/v1/org-chart' })).json<{
      ceo: { reports: { agentId: string; reports: { agentId: string; reports: { agentId: string }[] }[] }[] };
    }>();
    assert.equal(chart.ceo.reports[0]?.agentId, 'grace-hopper');
    assert.equal(chart.ceo.reports[0].reports[0]?.agentId, 'alan-turing');
    assert.equal(chart.ceo.reports[0].reports[0].reports[0]?.agentId, 'ada-lovelace');
  });

  it('updates a position: AgentUpdated with the changes and what they replaced', async () => {
    const { hire, app, auth, publisher } = await testDirectory();
    await hire(vp);
    await hire(manager);
    const response = await app.inject({
      method: 'PATCH',
      url: '/v1/agents/alan-turing',
      headers: auth,
      payload: { title: 'Director of Platform', level: 'director' },
    });
    assert.equal(response.statusCode, 200, response.body);
    const updated = publisher.published.at(-1);
    assert.equal(updated?.type, 'AgentUpdated');
    assert.deepEqual(updated.data, {
      agentId: 'alan-turing',
      changes: { title: 'Director of Platform', level: 'director' },
      previous: { title: 'Engineering Manager', level: 'manager' },
    });
  });

  it('refuses an update that would make a reporting cycle', async () => {
    const { hire, app, auth } = await testDirectory();
    await hire({ ...vp, level: 'executive', agentId: 'exec', name: 'Exec' });
    await hire({ ...vp, manager: 'exec' });
    const response = await app.inject({
      method: 'PATCH',
      url: '/v1/agents/exec',
      headers: auth,
      payload: { manager: 'grace-hopper' },
    });
    assert.equal(response.statusCode, 400);
    // Only the manager was sent, so the manager is the field to fix (issue 12 item 7).
    assert.equal(response.json<{ field: string }>().field, 'body.manager');
  });

  it('retires: AgentRetired, then retiring; refuses while the agent still has reports', async () => {
    const { hire, app, auth, publisher } = await testDirectory();
    await hire(vp);
    await hire(manager);
    const blocked = await app.inject({
      method: 'POST',
      url: '/v1/agents/grace-hopper/retire',
      headers: auth,
      payload: {},
    });
    assert.equal(blocked.statusCode, 409);
    const retired = await app.inject({
      method: 'POST',
      url: '/v1/agents/alan-turing/retire',
      headers: auth,
      payload: { reason: 'reorg' },
    });
    assert.equal(retired.statusCode, 202);
    assert.equal(
      retired.json<{ status: string }>().status,
      'retired',
      'nothing was provisioned yet, so nothing to undo',
    );
    assert.deepEqual(publisher.published.at(-1)?.data, { agentId: 'alan-turing', reason: 'reorg' });
    const again = await app.inject({
      method: 'POST',
      url: '/v1/agents/alan-turing/retire',
      headers: auth,
      payload: {},
    });
    assert.equal(again.statusCode, 202);
    assert.equal(publisher.published.filter((e) => e.type === 'AgentRetired').length, 1);
  });

  it('requests a credential rotation', async () => {
    const { hire, app, auth, publisher } = await testDirectory();
    await hire(vp);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/agents/grace-hopper/credentials/rotate',
      headers: auth,
      payload: {},
    });
    assert.equal(response.statusCode, 202);
    assert.equal(publisher.published.at(-1)?.type, 'CredentialsRotationRequested');
  });

  it('serves its OpenAPI document', async () => {
    const { app } = await testDirectory();
    const doc = (await app.inject({ url: '/openapi.json' })).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/v1/agents',
      '/v1/agents/{agentId}',
      '/v1/agents/{agentId}/retire',
      '/v1/org-chart',
      '/v1/org/import',
    ]) {
      assert.ok(path in doc.paths, path);
    }
  });

  it('imports a whole org, managers first, whatever the file order', async () => {
    const { app, auth, store } = await testDirectory();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/org/import',
      headers: auth,
      payload: {
        agents: [
          ic,
          manager,
          vp,
          { ...ic, agentId: 'loop-a', name: 'Loop A', manager: 'loop-b' },
          { ...ic, agentId: 'loop-b', name: 'Loop B', manager: 'loop-a' },
        ],
      },
    });
    assert.equal(response.statusCode, 200, response.body);
    const result = response.json<{ hired: number; unchanged: number; refused: { agentId: string }[] }>();
    assert.equal(result.hired, 3);
    assert.deepEqual(result.refused.map((r) => r.agentId).sort(), ['loop-a', 'loop-b']);
    assert.equal(store.agents.size, 3);
  });
});

describe('status projection through the directory', () => {
  it('asks for the retirement again when a hire step finishes after it began', async () => {
    const { hire, app, auth, readAuth, publisher, directory } = await testDirectory();
    await hire(vp);
    await app.inject({ method: 'POST', url: '/v1/agents/grace-hopper/retire', headers: auth, payload: {} });
    assert.equal(publisher.published.filter((e) => e.type === 'AgentRetired').length, 1);
    // The secret was created after credentials had already handled the retirement.
    const late = createEvent('CredentialsIssued', {
      agentId: 'grace-hopper',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-hopper-AbCdEf',
      restored: false,
    });
    await directory.project({ ...late, source: 'ocf.credentials' });
    assert.equal(publisher.published.filter((e) => e.type === 'AgentRetired').length, 2);
    const agent = (await app.inject({ headers: readAuth, url: '/v1/agents/grace-hopper' })).json<{
      status: string;
    }>();
    assert.equal(agent.status, 'retiring', 'now the secret must be revoked too');
  });
});

describe('outbox', () => {
  it('keeps a hire whose event could not be published, and publishes it later under the same id', async () => {
    const { hire, publisher, store, directory } = await testDirectory();
    publisher.failWith = new Error('bus unreachable');
    const response = await hire(vp);
    assert.equal(response.statusCode, 202, "the hire is recorded; publishing is the outbox's job");
    const owed = store.agents.get('grace-hopper')?.outbox ?? [];
    assert.equal(owed.length, 1);

    publisher.failWith = undefined;
    assert.equal(await directory.sweepOutbox(), 0, 'too recent: left to the request that wrote it');
    assert.equal(await directory.sweepOutbox({ graceMs: 0 }), 1);
    assert.deepEqual(
      publisher.published.map((e) => [e.type, e.metadata.eventId]),
      [['AgentHired', owed[0]?.eventId]],
    );
    assert.equal(store.agents.get('grace-hopper')?.outbox.length, 0);
  });

  describe('sleep and wake (ADR 0019)', () => {
    it('takes a wake policy and idle timeout at hire and by PATCH (null: back to the default)', async () => {
      const { app, auth, hire, publisher } = await testDirectory();
      assert.equal((await hire({ ...vp, wakePolicy: 'on-demand', idleTimeoutSeconds: 600 })).statusCode, 202);
      assert.deepEqual(
        publisher.published.map((e) => {
          const data = e.data as { wakePolicy?: string; idleTimeoutSeconds?: number };
          return [data.wakePolicy, data.idleTimeoutSeconds];
        }),
        [['on-demand', 600]],
      );
      const patched = await app.inject({
        method: 'PATCH',
        url: '/v1/agents/grace-hopper',
        headers: auth,
        payload: { wakePolicy: 'always-on', idleTimeoutSeconds: null },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      const view = patched.json<{ wakePolicy?: string; idleTimeoutSeconds?: number }>();
      assert.equal(view.wakePolicy, 'always-on');
      assert.equal(view.idleTimeoutSeconds, undefined);
      assert.deepEqual(publisher.published.at(-1)?.data, {
        agentId: 'grace-hopper',
        changes: { wakePolicy: 'always-on', idleTimeoutSeconds: null },
        previous: { wakePolicy: 'on-demand', idleTimeoutSeconds: 600 },
      });
    });

    it('refuses a bad wake policy or timeout with 400 naming the field', async () => {
      const { hire } = await testDirectory();
      const bad = await hire({ ...vp, wakePolicy: 'sometimes' });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json<{ field: string }>().field, 'body.wakePolicy');
      const zero = await hire({ ...vp, idleTimeoutSeconds: 0 });
      assert.equal(zero.json<{ field: string }>().field, 'body.idleTimeoutSeconds');
    });

    it("publishes operators' sleep and wake requests, and 404s for an unknown agent", async () => {
      const { app, auth, hire, publisher } = await testDirectory();
      await hire(vp);
      for (const action of ['sleep', 'wake']) {
        const response = await app.inject({
          method: 'POST',
          url: `/v1/agents/grace-hopper/${action}`,
          headers: auth,
        });
        assert.equal(response.statusCode, 202, response.body);
      }
      assert.deepEqual(
        publisher.published.slice(-2).map((e) => [e.type, (e.data as { reason?: string }).reason]),
        [
          ['AgentSleepRequested', 'operator'],
          ['AgentWakeRequested', 'operator'],
        ],
      );
      const unknown = await app.inject({ method: 'POST', url: '/v1/agents/nobody/wake', headers: auth });
      assert.equal(unknown.statusCode, 404);
    });
  });
});
