import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { commonSettings, loadConfig } from '../src/index.ts';

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
});
