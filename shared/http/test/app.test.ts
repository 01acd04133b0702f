import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, NotFoundError, TransientError, ValidationError } from '@ocf/errors';
import { createMemoryLogger } from '@ocf/logging';
import { createHttpApp } from '../src/index.ts';

function buildApp(readiness: Record<string, () => Promise<void>> = {}) {
  const logger = createMemoryLogger();
  const app = createHttpApp({ service: 'test', logger, readiness, readinessTimeoutMs: 200 });
  app.post(
    '/v1/things',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name', 'level'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1 }, level: { enum: ['vp', 'ic'] } },
        },
      },
    },
    () => ({ ok: true }),
  );
  app.get('/boom/:kind', (request) => {
    const { kind } = request.params as { kind: string };
    if (kind === 'validation') throw new ValidationError('manager must exist', { field: 'body.manager' });
    if (kind === 'missing') throw new NotFoundError('no agent ada');
    if (kind === 'conflict') throw new ConflictError('ada is already hired with other data');
    if (kind === 'transient')
      throw new TransientError('DDB_THROTTLED', 'table arn:aws:dynamodb:... throttled');
    throw new Error('database password is hunter2');
  });
  return { app, logger };
}

describe('createHttpApp', () => {
  it('answers /healthz', async () => {
    const { app } = buildApp();
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok', service: 'test' });
  });

  it('is ready only when every check passes in time', async () => {
    const ok = buildApp({ queue: () => Promise.resolve() });
    assert.equal((await ok.app.inject({ url: '/readyz' })).statusCode, 200);

    const slow = buildApp({ queue: () => Promise.resolve(), table: () => new Promise(() => {}) });
    const response = await slow.app.inject({ url: '/readyz' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), { status: 'not-ready', checks: { queue: 'ok', table: 'failed' } });
  });

  it('names every invalid field of a body with 400', async () => {
    const { app } = buildApp();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things',
      payload: { level: 'emperor', extra: 1 },
    });
    assert.equal(response.statusCode, 400);
    const body = response.json<{ error: string; message: string; field: string }>();
    assert.equal(body.error, 'VALIDATION_FAILED');
    assert.match(body.message, /body\.name/);
    assert.match(body.message, /body\.level/);
    assert.match(body.message, /body\.extra is not a known field/);
  });

  it('rejects malformed JSON with 400', async () => {
    const { app } = buildApp();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    assert.equal(response.statusCode, 400);
  });

  const mapped: [string, number, string][] = [
    ['validation', 400, 'VALIDATION_FAILED'],
    ['missing', 404, 'NOT_FOUND'],
    ['conflict', 409, 'CONFLICT'],
    ['transient', 503, 'DDB_THROTTLED'],
    ['bug', 500, 'INTERNAL'],
  ];
  for (const [kind, status, code] of mapped) {
    it(`maps a ${kind} error to ${status}`, async () => {
      const { app } = buildApp();
      const response = await app.inject({ url: `/boom/${kind}` });
      assert.equal(response.statusCode, status);
      assert.equal(response.json<{ error: string }>().error, code);
    });
  }

  it('never shows a 5xx message to the caller, and logs it redacted', async () => {
    const { app, logger } = buildApp();
    const response = await app.inject({ url: '/boom/bug' });
    assert.deepEqual(response.json(), { error: 'INTERNAL', message: 'internal error' });
    assert.ok(!response.body.includes('hunter2'));
    assert.ok(logger.entries.some((e) => e.message === 'request failed'));
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { app } = buildApp();
    const response = await app.inject({ url: '/v2/nothing?x=1' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json<{ message: string }>().message, 'no route GET /v2/nothing');
  });
});
