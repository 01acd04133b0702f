import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNaming } from '@ocf/naming';
import { baseEnvironment, DEFAULT_ENVIRONMENT, matrixNamespace } from '../src/fleet-environment.ts';
import type { StackInfo } from '../src/stack-info.ts';

const info: StackInfo = {
  awsEndpoint: 'http://127.0.0.1:4566',
  region: 'us-east-1',
  homeserverUrl: 'http://127.0.0.1:8008',
  serverName: 'localhost',
  registrationSharedSecret: 'not-a-real-secret',
  appservice: {
    id: 'ocf-bridge',
    asToken: 'as',
    hsToken: 'hs',
    senderLocalpart: 'fleet-bot',
    userPrefix: 'agent-',
    url: 'http://127.0.0.1:9009',
  },
};

describe("the fleet command's environment", () => {
  it('gives the bridge and the agents the Matrix namespace of a fleet other than the default', () => {
    const env = baseEnvironment(info, 'blue', '/state');
    assert.equal(env['OCF_ENV'], 'blue');
    assert.equal(env['BRIDGE_NAMESPACE'], 'blue');
    assert.equal(env['MATRIX_NAMESPACE'], 'blue', 'provisioning passes it on to agents');
  });

  it('keeps the default fleet without one, so its names stay short', () => {
    const env = baseEnvironment(info, DEFAULT_ENVIRONMENT, '/state');
    assert.equal(env['OCF_ENV'], 'local');
    assert.equal('BRIDGE_NAMESPACE' in env, false);
    assert.equal('MATRIX_NAMESPACE' in env, false);
  });

  it("keeps any two fleets on the stack's homeserver apart: no shared account or room", () => {
    const names = (environment: string) => {
      const naming = createNaming({ serverName: info.serverName, namespace: matrixNamespace(environment) });
      return [naming.agentUserId('ada'), naming.alias('all-employees'), naming.alias('sales-leadership')];
    };
    const local = names('local');
    const blue = names('blue');
    assert.deepEqual(local, [
      '@agent-ada:localhost',
      '#org-all-employees:localhost',
      '#org-sales-leadership:localhost',
    ]);
    assert.deepEqual(blue, [
      '@agent-blue_ada:localhost',
      '#org-blue_all-employees:localhost',
      '#org-blue_sales-leadership:localhost',
    ]);
    // The longest environment name the fleet command takes is a valid namespace.
    assert.doesNotThrow(() => names(`e${'x'.repeat(30)}`));
  });
});
