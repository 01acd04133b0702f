import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { commonSettings, loadConfig, requiredWhen } from '../src/index.ts';

describe('loadConfig', () => {
  const shape = { ...commonSettings, BRIDGE_HOMESERVER_URL: z.url() };

  it('parses, coerces and applies defaults', () => {
    const config = loadConfig(shape, {
      AWS_REGION: 'eu-west-1',
      PORT: '8080',
      BRIDGE_HOMESERVER_URL: 'http://127.0.0.1:8008',
    });
    assert.equal(config.PORT, 8080);
    assert.equal(config.OCF_ENV, 'local');
    assert.equal(config.LOG_LEVEL, 'INFO');
  });

  it('names every missing or malformed setting at once', () => {
    assert.throws(
      () => loadConfig(shape, { PORT: 'eighty', BRIDGE_HOMESERVER_URL: '', OCF_ENV: 'Prod Fleet' }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /AWS_REGION: required but not set/);
        assert.match(error.message, /BRIDGE_HOMESERVER_URL: required but not set/);
        assert.match(error.message, /PORT: /);
        assert.match(error.message, /OCF_ENV: lowercase letters/);
        return true;
      },
    );
  });

  it('parses the shutdown timeout like any other setting', () => {
    const base = { AWS_REGION: 'eu-west-1', PORT: '0', BRIDGE_HOMESERVER_URL: 'http://127.0.0.1:8008' };
    assert.equal(loadConfig(shape, base).SHUTDOWN_TIMEOUT_MS, 25_000);
    assert.equal(loadConfig(shape, { ...base, SHUTDOWN_TIMEOUT_MS: '5000' }).SHUTDOWN_TIMEOUT_MS, 5_000);
    assert.throws(() => loadConfig(shape, { ...base, SHUTDOWN_TIMEOUT_MS: 'soon' }), /SHUTDOWN_TIMEOUT_MS: /);
  });

  it('takes the queue concurrency as a whole number from 1 to 100, 8 when not set', () => {
    const base = { AWS_REGION: 'eu-west-1', PORT: '0', BRIDGE_HOMESERVER_URL: 'http://127.0.0.1:8008' };
    assert.equal(loadConfig(shape, base).QUEUE_CONCURRENCY, 8);
    assert.equal(loadConfig(shape, { ...base, QUEUE_CONCURRENCY: '32' }).QUEUE_CONCURRENCY, 32);
    for (const bad of ['0', '101', '2.5', 'many'])
      assert.throws(() => loadConfig(shape, { ...base, QUEUE_CONCURRENCY: bad }), /QUEUE_CONCURRENCY: /);
  });

  it('checks settings that are required only when another has some value', () => {
    const runnerShape = {
      RUNNER: z.enum(['local', 'ecs']).default('local'),
      SUBNETS: z.string().optional(),
      CLUSTER: z.string().optional(),
    };
    const check = requiredWhen<z.output<z.ZodObject<typeof runnerShape>>>(
      (c) => c.RUNNER === 'ecs',
      ['SUBNETS', 'CLUSTER'],
      'RUNNER=ecs',
    );
    assert.equal(loadConfig(runnerShape, {}, check).RUNNER, 'local');
    assert.equal(loadConfig(runnerShape, { RUNNER: 'ecs', SUBNETS: 'a', CLUSTER: 'b' }, check).SUBNETS, 'a');
    assert.throws(
      () => loadConfig(runnerShape, { RUNNER: 'ecs', CLUSTER: 'b' }, check),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /SUBNETS: required when RUNNER=ecs/);
        assert.doesNotMatch(error.message, /CLUSTER/);
        return true;
      },
    );
  });
});
