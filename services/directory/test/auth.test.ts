import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentDirectoryToken, SecretText } from '@ocf/secrets';
import { createEvent } from '@ocf/events';
import { ic, manager, testDirectory, vp } from './helpers.ts';

/** Bodies that pass validation, for the routes that need one. */
const BODIES: Record<string, unknown> = {
  '/v1/org/import': { agents: [vp] },
  '/v1/org/plan': {
    org: {
      version: 1,
      departments: [{ name: vp.department }],
      people: [
        {
          id: vp.agentId,
          name: vp.name,
          title: vp.title,
          level: vp.level,
          department: vp.department,
          manager: 'ceo',
        },
      ],
    },
  },
};

/** A concrete URL for a route pattern, and a body that would pass validation where one is needed. */
function call(method: string, url: string) {
  return {
    method: method as 'GET',
    url: url.replace(':agentId', 'grace-hopper'),
    ...(method === 'GET' || method === 'HEAD' ? {} : { payload: BODIES[url] ?? {} }),
  };
}

/** Routes that answer with an event stream (the watch tests in watch.test.ts follow them). */
const STREAMS = new Set(['/v1/watch/agents']);

describe('directory access: every route but the public ones needs a token of the right scope', () => {
  it('knows its routes, and only probes and the API document are public', async () => {
    const { app } = await testDirectory();
    const publicRoutes = app.routeAccess
      .filter((r) => r.access === 'public')
      .map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(publicRoutes.sort(), ['GET /openapi.json', 'HEAD /openapi.json']);
    for (const url of ['/healthz', '/readyz', '/openapi.json'])
      assert.equal((await app.inject({ url })).statusCode, 200, url);
    const guarded = app.routeAccess.filter((r) => r.access !== 'public');
    assert.ok(guarded.length >= 8, `only ${guarded.length} guarded routes seen`);
    for (const url of ['/v1/agents', '/v1/agents/:agentId', '/v1/org-chart'])
      assert.ok(
        guarded.some((r) => r.url === url && r.method === 'GET' && r.access === 'read'),
        url,
      );
  });

  it('answers 401 to anonymous callers and unknown tokens on every guarded route', async () => {
    const { app, hire } = await testDirectory();
    await hire(vp);
    const forged = agentDirectoryToken(
      new SecretText('not-the-fleet-key-0123456789'),
      'test',
      'grace-hopper',
    );
    const headersTried = [
      {},
      { authorization: 'Bearer ocf_not-a-real-token' },
      { authorization: `Bearer ${forged.reveal()}` },
      { authorization: 'Basic Z3JhY2U6aG9wcGVy' },
    ];
    for (const route of app.routeAccess.filter((r) => r.access !== 'public')) {
      for (const headers of headersTried) {
        const response = await app.inject({ ...call(route.method, route.url), headers });
        assert.equal(
          response.statusCode,
          401,
          `${route.method} ${route.url} with ${JSON.stringify(headers)}`,
        );
        assert.ok(!response.body.includes('not-a-real-token'));
        assert.ok(!response.body.includes('grace-hopper'), 'nothing of the org leaks');
      }
    }
  });

  it('answers 403 naming the scope to read tokens on every write route, and serves them reads', async () => {
    const { app, hire, readAuth, agentAuth } = await testDirectory();
    await hire(vp);
    for (const route of app.routeAccess.filter((r) => r.access !== 'public')) {
      for (const headers of [readAuth, agentAuth('grace-hopper')]) {
        const response = STREAMS.has(route.url)
          ? await app.inject({
              ...call(route.method, route.url),
              headers: { ...headers, accept: 'application/json' },
            })
          : await app.inject({ ...call(route.method, route.url), headers });
        const what = `${route.method} ${route.url}`;
        if (route.access === 'write') {
          assert.equal(response.statusCode, 403, what);
          assert.match(response.json<{ message: string }>().message, /scope "write"/, what);
        } else if (STREAMS.has(route.url)) {
          // An event stream never ends, so it was asked for as JSON: 406 comes only after the
          // token was accepted (a refused one is answered 401/403 before the stream is looked at).
          assert.equal(response.statusCode, 406, what);
        } else {
          assert.ok([200, 404].includes(response.statusCode), `${what}: ${response.statusCode}`);
        }
      }
    }
  });

  it('lists agents to a read token without the cascade internals an operator sees', async () => {
    const { app, hire, auth, readAuth, directory } = await testDirectory();
    await hire(vp);
    await directory.project({
      ...createEvent('CredentialsIssued', {
        agentId: 'grace-hopper',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-hopper-AbCdEf',
        restored: false,
      }),
      source: 'ocf.credentials',
    });
    const read = await app.inject({ url: '/v1/agents', headers: readAuth });
    assert.equal(read.statusCode, 200);
    const items = read.json<{ items: { agentId: string; steps: { state: string }[] }[] }>().items;
    assert.deepEqual(
      items.map((a) => a.agentId),
      ['grace-hopper'],
    );
    assert.equal(items[0]?.steps[0]?.state, 'done');
    assert.ok(!read.body.includes('arn:aws:secretsmanager'), 'no secret ARN for a read token');
    const one = await app.inject({ url: '/v1/agents/grace-hopper', headers: readAuth });
    assert.ok(!one.body.includes('arn:aws'));
    const operator = await app.inject({ url: '/v1/agents/grace-hopper', headers: auth });
    assert.ok(operator.body.includes('arn:aws:secretsmanager'), 'operators still see it');
  });

  it("accepts an agent's own token for reads while it is employed, and never after it retires", async () => {
    const { app, hire, auth, agentAuth } = await testDirectory();
    await hire(vp);
    await hire(manager);
    await hire(ic);
    const adas = agentAuth('ada-lovelace');
    assert.equal((await app.inject({ url: '/v1/org-chart', headers: adas })).statusCode, 200);
    assert.equal((await app.inject({ url: '/v1/agents?limit=10', headers: adas })).statusCode, 200);
    const write = await app.inject({
      method: 'POST',
      url: '/v1/agents/alan-turing/retire',
      headers: adas,
      payload: {},
    });
    assert.equal(write.statusCode, 403);
    assert.equal(
      (await app.inject({ url: '/v1/agents', headers: agentAuth('nobody-hired') })).statusCode,
      401,
      'a token for an id nobody holds',
    );

    const retired = await app.inject({
      method: 'POST',
      url: '/v1/agents/ada-lovelace/retire',
      headers: auth,
      payload: {},
    });
    assert.equal(retired.statusCode, 202);
    assert.equal(
      (await app.inject({ url: '/v1/agents', headers: adas })).statusCode,
      401,
      'revoked by retirement',
    );
    assert.equal(
      (await app.inject({ url: '/v1/agents', headers: agentAuth('alan-turing') })).statusCode,
      200,
    );
  });
});
