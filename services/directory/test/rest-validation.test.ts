import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEventMessage } from '@ocf/events';
import { ic, manager, testDirectory, vp } from './helpers.ts';

/** An outside system's AgentHired as the directory's queue receives it. */
function hiredOnTheBus(data: Record<string, unknown>): string {
  return JSON.stringify({
    version: '0',
    id: 'eb-1',
    'detail-type': 'AgentHired',
    source: 'hr.example',
    account: '123456789012',
    time: '2026-11-25T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { data },
  });
}

const asEvent = ({ manager: managerId, ...rest }: Record<string, unknown>) => ({ ...rest, managerId });

// Issue 12 item 4: the same hire by REST and by event gets the same answer, and nothing is coerced.
describe('one validation for both hire paths, no coercion', () => {
  const wrongTypes: [string, Record<string, unknown>, string][] = [
    ['a number as the name', { ...vp, name: 42 }, 'name'],
    ['a boolean as the title', { ...vp, title: true }, 'title'],
    ['a string as the skills', { ...vp, skills: 'x' }, 'skills'],
    ['a number in the skills', { ...vp, skills: ['x', 7] }, 'skills.1'],
    ['a number as the team', { ...vp, team: 5 }, 'team'],
    ['null as the team', { ...vp, team: null }, 'team'],
    ['a number as the manager', { ...vp, manager: 1 }, 'manager'],
  ];
  for (const [what, body, field] of wrongTypes) {
    it(`refuses ${what}: REST answers 400 naming body.${field}, the event goes to the DLQ naming it`, async () => {
      const { hire, store, publisher } = await testDirectory();
      const response = await hire(body);
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(response.json<{ field: string }>().field, `body.${field}`);
      assert.equal(store.agents.size, 0, 'nothing stored');
      assert.equal(publisher.published.length, 0);

      const parsed = parseEventMessage(hiredOnTheBus(asEvent(body)));
      assert.equal(parsed.ok, false);
      assert.equal(parsed.rejection.reason, 'invalid-data');
      const eventField = (field === 'manager' ? 'managerId' : field).replace('.', '\\.');
      assert.match(parsed.rejection.message, new RegExp(`data\\.${eventField}`));
    });
  }

  it('accepts the valid hire on both paths, stored exactly as sent', async () => {
    const { hire, store } = await testDirectory();
    const body = { ...vp, skills: ['typescript'] };
    assert.equal((await hire(body)).statusCode, 202);
    assert.deepEqual(store.agents.get('grace-hopper')?.skills, ['typescript']);
    assert.equal(parseEventMessage(hiredOnTheBus(asEvent(body))).ok, true);
  });

  it('refuses wrong types in an update and a retirement reason too', async () => {
    const { hire, app, auth } = await testDirectory();
    await hire(vp);
    const update = await app.inject({
      method: 'PATCH',
      url: '/v1/agents/grace-hopper',
      headers: auth,
      payload: { title: 12 },
    });
    assert.equal(update.statusCode, 400, update.body);
    assert.equal(update.json<{ field: string }>().field, 'body.title');
    const retire = await app.inject({
      method: 'POST',
      url: '/v1/agents/grace-hopper/retire',
      headers: auth,
      payload: { reason: 3 },
    });
    assert.equal(retire.statusCode, 400, retire.body);
    assert.equal(retire.json<{ field: string }>().field, 'body.reason');
  });

  it('refuses a wrongly typed entry of an org file, naming it', async () => {
    const { app, auth, store } = await testDirectory();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/org/import',
      headers: auth,
      payload: { agents: [vp, { ...manager, title: false }] },
    });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.json<{ field: string }>().field, 'body.agents[1].title');
    assert.equal(store.agents.size, 0);
  });
});

// Issue 11 item 6: control characters never get in, by REST or by event.
describe('control characters', () => {
  const controls: [string, string][] = [
    ['ESC (an ANSI colour)', '\u001b[31m'],
    ['an OSC title sequence', '\u001b]0;owned\u0007'],
    ['BEL', '\u0007'],
    ['NUL', '\u0000'],
    ['a newline', 'a\nb'],
    ['DEL', '\u007f'],
    ['C1 CSI', '\u009b31m'],
    ['C1 NEL', '\u0085'],
  ];
  const textFields = ['name', 'title', 'department', 'team', 'roleTemplate', 'model'];
  for (const [what, control] of controls) {
    it(`refuses ${what} in every text field of a hire, by REST (400) and by event (DLQ), naming the field`, async () => {
      const { hire, store } = await testDirectory();
      for (const field of [...textFields, 'skills']) {
        const value = `Grace${control}Hopper`;
        const body = { ...vp, [field]: field === 'skills' ? ['ok', value] : value };
        const response = await hire(body);
        assert.equal(response.statusCode, 400, `${field}: ${response.body}`);
        const error = response.json<{ field: string; message: string }>();
        assert.equal(error.field, field === 'skills' ? 'body.skills.1' : `body.${field}`);
        assert.match(error.message, /control characters/);

        const parsed = parseEventMessage(hiredOnTheBus(asEvent(body)));
        assert.equal(parsed.ok, false, field);
        assert.match(parsed.rejection.message, new RegExp(`data\\.${field}.*control characters`));
      }
      assert.equal(store.agents.size, 0);
    });
  }

  it('refuses them in updates, retirement and rotation reasons, naming the field', async () => {
    const { hire, app, auth } = await testDirectory();
    await hire(vp);
    await hire(manager);
    const calls = [
      {
        method: 'PATCH' as const,
        url: '/v1/agents/alan-turing',
        payload: { title: 'Boss\u001b[2J' },
        field: 'body.title',
      },
      {
        method: 'PATCH' as const,
        url: '/v1/agents/alan-turing',
        payload: { team: 'Core\u009d' },
        field: 'body.team',
      },
      {
        method: 'POST' as const,
        url: '/v1/agents/alan-turing/retire',
        payload: { reason: 'bye\u0007' },
        field: 'body.reason',
      },
      {
        method: 'POST' as const,
        url: '/v1/agents/alan-turing/credentials/rotate',
        payload: { reason: '\u001b]52;c;x\u0007' },
        field: 'body.reason',
      },
    ];
    for (const { field, ...call } of calls) {
      const response = await app.inject({ ...call, headers: auth });
      assert.equal(response.statusCode, 400, `${call.url}: ${response.body}`);
      assert.equal(response.json<{ field: string }>().field, field);
    }
  });

  it('still takes ordinary Unicode: accents, CJK, emoji', async () => {
    const { hire, store } = await testDirectory();
    const response = await hire({ ...vp, name: 'Grâce Hopper 李 🚀', agentId: 'grace' });
    assert.equal(response.statusCode, 202, response.body);
    assert.equal(store.agents.get('grace')?.name, 'Grâce Hopper 李 🚀');
  });
});

// Issue 12 item 7: error messages that say what is wrong.
describe('error messages', () => {
  it('answers a __proto__ key with what is wrong and where, not "not valid JSON"', async () => {
    const { app, auth, store } = await testDirectory();
    for (const [payload, field] of [
      ['{"__proto__": {"admin": true}, "name": "x"}', 'body.__proto__'],
      [`{"agents": [{"constructor": {"prototype": {"x": 1}}}]}`, 'body.agents[0].constructor.prototype'],
    ] as const) {
      const response = await app.inject({
        method: 'POST',
        url: payload.includes('agents') ? '/v1/org/import' : '/v1/agents',
        headers: { ...auth, 'content-type': 'application/json' },
        payload,
      });
      assert.equal(response.statusCode, 400, response.body);
      const error = response.json<{ message: string; field: string }>();
      assert.doesNotMatch(error.message, /not valid JSON/i);
      assert.match(error.message, /prototype/);
      assert.equal(error.field, field);
    }
    assert.equal(store.agents.size, 0);
  });

  it('still says so when the body really is not JSON', async () => {
    const { app, auth } = await testDirectory();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/agents',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.json<{ message: string }>().message, /not valid JSON/);
  });

  it('names the manager, not the level, when only the manager was sent', async () => {
    const { hire, app, auth } = await testDirectory();
    await hire(vp);
    await hire({ ...vp, agentId: 'dir', name: 'Director', level: 'director' });
    await hire({ ...manager, manager: 'grace-hopper' });
    const response = await app.inject({
      method: 'PATCH',
      url: '/v1/agents/dir',
      headers: auth,
      payload: { manager: 'alan-turing' },
    });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.json<{ field: string }>().field, 'body.manager');
    // Sending the level names the level, as before.
    const promoted = await app.inject({
      method: 'PATCH',
      url: '/v1/agents/alan-turing',
      headers: auth,
      payload: { level: 'vp' },
    });
    assert.equal(promoted.statusCode, 400, promoted.body);
    assert.equal(promoted.json<{ field: string }>().field, 'body.level');
  });

  it('retires without a body, with an empty JSON body, with {} and with a reason', async () => {
    const { hire, app, auth } = await testDirectory();
    const agents = ['a1', 'a2', 'a3', 'a4'];
    for (const agentId of agents)
      await hire({ ...ic, agentId, name: agentId, manager: 'ceo', level: 'director' });
    const bodies = [
      {},
      { headers: { 'content-type': 'application/json' }, payload: '' },
      { payload: {} },
      { payload: { reason: 'Team reorganised' } },
    ];
    for (const [index, body] of bodies.entries()) {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/agents/${agents[index] ?? ''}/retire`,
        ...body,
        headers: { ...auth, ...(body.headers ?? {}) },
      });
      assert.equal(response.statusCode, 202, `body ${index}: ${response.body}`);
      assert.match(response.json<{ status: string }>().status, /^retir/);
    }
    const rotate = await app.inject({
      method: 'POST',
      url: '/v1/agents/grace-hopper/credentials/rotate',
      headers: auth,
    });
    assert.equal(rotate.statusCode, 404, 'no body is fine; the agent is unknown');
  });

  it('documents the retirement body as optional in the OpenAPI document', async () => {
    const { app } = await testDirectory();
    const doc = (await app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, { post?: { description?: string; requestBody?: { required?: boolean } } }>;
    }>();
    const retire = doc.paths['/v1/agents/{agentId}/retire']?.post;
    // @fastify/swagger marks every request body with a schema as required; the description is
    // where the document can say otherwise.
    assert.match(retire?.description ?? '', /body is optional/);
  });
});
