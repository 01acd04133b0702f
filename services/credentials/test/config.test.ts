import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonSettings, loadConfig } from '@ocf/config';
import { ConfigError } from '@ocf/errors';
import { settings } from '../src/config.ts';

const load = (env: Record<string, string>) =>
  loadConfig({ ...commonSettings, ...settings }, { AWS_REGION: 'us-east-1', ...env });

describe('credentials settings', () => {
  it('need no KMS key locally and keep retired secrets 7 days by default', () => {
    const config = load({});
    assert.equal(config.CREDENTIALS_KMS_KEY_ID, undefined);
    assert.equal(config.CREDENTIALS_RECOVERY_WINDOW_DAYS, 7);
    assert.equal(config.PORT, 8082);
  });

  it('take a KMS key and a recovery window of 7 to 30 days', () => {
    const config = load({ CREDENTIALS_KMS_KEY_ID: 'alias/ocf-prod', CREDENTIALS_RECOVERY_WINDOW_DAYS: '30' });
    assert.equal(config.CREDENTIALS_KMS_KEY_ID, 'alias/ocf-prod');
    assert.equal(config.CREDENTIALS_RECOVERY_WINDOW_DAYS, 30);
    for (const days of ['6', '31', '7.5', 'a week']) {
      assert.throws(() => load({ CREDENTIALS_RECOVERY_WINDOW_DAYS: days }), ConfigError, days);
    }
  });
});
