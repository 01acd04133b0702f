import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonSettings, loadConfig } from '@ocf/config';
import { ConfigError } from '@ocf/errors';
import { settings } from '../src/config.ts';

const required = {
  AWS_REGION: 'us-east-1',
  MATRIX_HOMESERVER_URL: 'http://127.0.0.1:8008',
  MATRIX_SERVER_NAME: 'fleet.example.com',
  BRIDGE_AS_TOKEN: 'as',
  BRIDGE_HS_TOKEN: 'hs',
  BRIDGE_CEO_USER_ID: '@ceo:fleet.example.com',
};
const load = (env: Record<string, string>) =>
  loadConfig({ ...commonSettings, ...settings }, { ...required, ...env });

describe('bridge settings', () => {
  it('default to the production shape: no namespace, the registration of local-stack, port 9009', () => {
    const config = load({});
    assert.equal(config.BRIDGE_NAMESPACE, undefined);
    assert.equal(config.BRIDGE_AS_ID, 'ocf-bridge');
    assert.equal(config.BRIDGE_SENDER_LOCALPART, 'fleet-bot');
    assert.equal(config.BRIDGE_AS_PORT, 9009);
    assert.ok(
      !('MATRIX_REGISTRATION_SHARED_SECRET' in config),
      'the bridge has no use for the shared secret',
    );
    assert.equal(config.PORT, 8083);
  });

  it('need the homeserver, the tokens and the CEO, and say which is missing', () => {
    assert.throws(
      () => loadConfig({ ...commonSettings, ...settings }, { AWS_REGION: 'us-east-1' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        ['MATRIX_HOMESERVER_URL', 'BRIDGE_AS_TOKEN', 'BRIDGE_HS_TOKEN', 'BRIDGE_CEO_USER_ID'].every((name) =>
          error.message.includes(name),
        ),
    );
  });

  it("refuse a namespace that could spell another fleet's names, and a CEO that is no user id", () => {
    for (const namespace of ['Blue', 'a_b', 'a.b', '-a', 'x'.repeat(32)]) {
      assert.throws(() => load({ BRIDGE_NAMESPACE: namespace }), ConfigError, namespace);
    }
    assert.equal(load({ BRIDGE_NAMESPACE: 't-bridge-1a2b3c' }).BRIDGE_NAMESPACE, 't-bridge-1a2b3c');
    // Any fleet environment's name will do: the fleet command uses it as it is.
    const environment = `e${'x'.repeat(30)}`;
    assert.equal(load({ BRIDGE_NAMESPACE: environment }).BRIDGE_NAMESPACE, environment);
    assert.throws(() => load({ BRIDGE_CEO_USER_ID: 'ceo' }), ConfigError);
  });
});
