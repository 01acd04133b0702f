import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNaming } from '@ocf/naming';
import { testDirectory, vp } from './helpers.ts';

describe('the web console under /console (ADR 0025)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ocf-console-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(path.join(dir, 'assets', 'main-ABC123.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'assets', 'main-ABC123.css'), 'body{}');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('serves the page and its assets without a token, with a strict content security policy', async () => {
    const { app } = await testDirectory({
      console: { assetsDir: dir, homeserverUrl: 'http://127.0.0.1:8008/' },
    });
    const redirect = await app.inject({ method: 'GET', url: '/console' });
    assert.equal(redirect.statusCode, 308);
    assert.equal(redirect.headers.location, '/console/');
    const page = await app.inject({ method: 'GET', url: '/console/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['cache-control'], 'no-store');
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self' http:\/\/127\.0\.0\.1:8008/);
    assert.match(csp, /frame-ancestors 'none'/);
    const script = await app.inject({ method: 'GET', url: '/console/assets/main-ABC123.js' });
    assert.equal(script.statusCode, 200);
    assert.equal(script.body, 'console.log(1)');
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.match(String(script.headers['cache-control']), /immutable/);
    const config = await app.inject({ method: 'GET', url: '/console/config.json' });
    assert.deepEqual(config.json(), { homeserverUrl: 'http://127.0.0.1:8008/' });
    await app.close();
  });

  it('serves nothing but the built files', async () => {
    const { app } = await testDirectory({ console: { assetsDir: dir } });
    for (const url of [
      '/console/assets/..%2Findex.html',
      '/console/assets/nope.js',
      '/console/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 404, url);
    }
    await app.close();
  });

  it('still refuses every data call without a token: the page is public, the fleet is not', async () => {
    const { app, auth } = await testDirectory({ console: { assetsDir: dir } });
    for (const url of ['/v1/agents', '/v1/watch/agents', '/v1/org-chart']) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 401, url);
    }
    const withToken = await app.inject({ method: 'GET', url: '/v1/agents', headers: auth });
    assert.equal(withToken.statusCode, 200);
    await app.close();
  });

  it('says the console is not built when it is not, and the API works on', async () => {
    const { app, auth } = await testDirectory({ console: { assetsDir: path.join(dir, 'missing') } });
    const page = await app.inject({ method: 'GET', url: '/console/' });
    assert.equal(page.statusCode, 503);
    assert.equal(page.json<{ error: string }>().error, 'CONSOLE_NOT_BUILT');
    assert.equal((await app.inject({ method: 'GET', url: '/v1/agents', headers: auth })).statusCode, 200);
    await app.close();
  });

  it('says where to talk to an agent: its Matrix id and its direct room with its manager', async () => {
    const { app, hire, readAuth } = await testDirectory({
      naming: createNaming({ serverName: 'fleet.test', namespace: 'blue' }),
    });
    assert.equal((await hire(vp)).statusCode, 202);
    const chat = await app.inject({ method: 'GET', url: '/v1/agents/grace-hopper/chat', headers: readAuth });
    assert.equal(chat.statusCode, 200);
    assert.deepEqual(chat.json(), {
      agentUserId: '@agent-blue_grace-hopper:fleet.test',
      roomAlias: '#org-blue_dm.ceo.grace-hopper:fleet.test',
    });
    assert.equal((await app.inject({ method: 'GET', url: '/v1/agents/grace-hopper/chat' })).statusCode, 401);
    const unknown = await app.inject({ method: 'GET', url: '/v1/agents/nobody/chat', headers: readAuth });
    assert.equal(unknown.statusCode, 404);
    await app.close();
  });
});
