import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNaming } from '@ocf/naming';
import {
  baseEnvironment,
  DEFAULT_ENVIRONMENT,
  LOCAL_AWAKE_CAP,
  localAgentSettings,
  matrixNamespace,
} from '../src/fleet-environment.ts';
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

describe("the fleet command's local agents", () => {
  const options = {
    root: '/repo',
    node: '/usr/bin/node',
    directoryUrl: 'http://127.0.0.1:8081',
    serverName: 'localhost',
  };

  it('runs real OpenClaw agents by default: the entrypoint, what it needs, on-demand under a small cap', () => {
    const settings = localAgentSettings({ ...options, kind: 'openclaw', env: {} });
    assert.deepEqual(JSON.parse(settings.provisioning['LOCAL_AGENT_COMMAND'] ?? ''), [
      '/usr/bin/node',
      '/repo/agent-container/src/main.ts',
    ]);
    assert.deepEqual(JSON.parse(settings.provisioning['LOCAL_AGENT_ENV'] ?? ''), {
      DIRECTORY_URL: 'http://127.0.0.1:8081',
      MATRIX_SERVER_NAME: 'localhost',
    });
    assert.equal(settings.bridge['BRIDGE_AWAKE_CAP'], String(LOCAL_AWAKE_CAP));
    assert.equal(settings.bridge['BRIDGE_ON_DEMAND_LEVELS'], 'executive,vp,director,manager,ic');
    assert.equal(settings.health['HEALTH_UNHEALTHY_GRACE_MS'], '120000');
  });

  it("takes the person's command, agent settings and sleep settings over its own", () => {
    const settings = localAgentSettings({
      ...options,
      kind: 'openclaw',
      env: {
        LOCAL_AGENT_COMMAND: '["/opt/node","/elsewhere/main.ts"]',
        LOCAL_AGENT_ENV: '{"MODEL_PROVIDER":"openai-compatible"}',
        BRIDGE_AWAKE_CAP: '8',
        BRIDGE_ON_DEMAND_LEVELS: 'ic',
      },
    });
    assert.equal(settings.provisioning['LOCAL_AGENT_COMMAND'], '["/opt/node","/elsewhere/main.ts"]');
    assert.deepEqual(JSON.parse(settings.provisioning['LOCAL_AGENT_ENV'] ?? ''), {
      DIRECTORY_URL: 'http://127.0.0.1:8081',
      MATRIX_SERVER_NAME: 'localhost',
      MODEL_PROVIDER: 'openai-compatible',
    });
    assert.deepEqual(settings.bridge, { BRIDGE_AWAKE_CAP: '8', BRIDGE_ON_DEMAND_LEVELS: 'ic' });
  });

  it('leaves the stand-in as it was: provisioning’s own default command, always-on, no cap', () => {
    const settings = localAgentSettings({ ...options, kind: 'stand-in', env: {} });
    assert.deepEqual(settings, { provisioning: {}, bridge: {}, health: {} });
    const passed = localAgentSettings({
      ...options,
      kind: 'stand-in',
      env: { LOCAL_AGENT_ENV: '{"A":"b"}', BRIDGE_IDLE_TIMEOUT_SECONDS: '60' },
    });
    assert.deepEqual(passed.provisioning, { LOCAL_AGENT_ENV: '{"A":"b"}' });
    assert.deepEqual(passed.bridge, { BRIDGE_IDLE_TIMEOUT_SECONDS: '60' });
  });

  it('refuses a LOCAL_AGENT_ENV that is not a JSON object', () => {
    assert.throws(
      () => localAgentSettings({ ...options, kind: 'openclaw', env: { LOCAL_AGENT_ENV: '["x"]' } }),
      /LOCAL_AGENT_ENV must be a JSON object of strings/,
    );
    assert.throws(
      () => localAgentSettings({ ...options, kind: 'openclaw', env: { LOCAL_AGENT_ENV: '{oops' } }),
      /LOCAL_AGENT_ENV must be a JSON object of strings/,
    );
  });
});
