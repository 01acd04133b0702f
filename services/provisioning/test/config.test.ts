import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonSettings, loadConfig } from '@ocf/config';
import { ConfigError } from '@ocf/errors';
import { checkSettings, settings } from '../src/config.ts';
import { fleetAgentSettings } from '../src/service.ts';

const load = (env: Record<string, string>) =>
  loadConfig({ ...commonSettings, ...settings }, { AWS_REGION: 'us-east-1', ...env }, checkSettings);

describe('provisioning settings', () => {
  it('run agents as local processes by default, needing no ECS settings', () => {
    const config = load({});
    assert.equal(config.AGENT_RUNNER, 'local');
    assert.equal(config.AGENT_SUBNETS, undefined);
  });

  it("hand the bridge's Matrix namespace to every agent, and nothing when there is none", () => {
    assert.deepEqual(fleetAgentSettings(load({ MATRIX_NAMESPACE: 'blue' })), { MATRIX_NAMESPACE: 'blue' });
    assert.deepEqual(fleetAgentSettings(load({})), {});
    assert.throws(() => load({ MATRIX_NAMESPACE: 'a_b' }), ConfigError);
  });

  it('hand the people who may message every agent directly to each agent, and refuse a bad list', () => {
    assert.deepEqual(fleetAgentSettings(load({ AGENT_ORG_HUMANS: '@ceo:hs, @ops:hs' })), {
      MATRIX_ORG_HUMANS: '@ceo:hs, @ops:hs',
    });
    assert.throws(() => load({ AGENT_ORG_HUMANS: 'ceo' }), ConfigError);
    assert.throws(() => load({ AGENT_ORG_HUMANS: '@ceo:hs,' }), ConfigError);
  });

  it('name every ECS setting the ECS runner is missing, when the config is parsed', () => {
    assert.throws(
      () => load({ AGENT_RUNNER: 'ecs', AGENT_SECURITY_GROUPS: 'sg-1' }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /AGENT_SUBNETS: required when AGENT_RUNNER=ecs/);
        assert.match(error.message, /AGENT_FILE_SYSTEM_ID: required when AGENT_RUNNER=ecs/);
        assert.doesNotMatch(error.message, /AGENT_SECURITY_GROUPS/);
        return true;
      },
    );
    assert.throws(
      () =>
        load({
          AGENT_RUNNER: 'ecs',
          AGENT_SUBNETS: ' , ',
          AGENT_SECURITY_GROUPS: 'sg-1',
          AGENT_FILE_SYSTEM_ID: 'fs-1',
        }),
      /AGENT_SUBNETS: required when AGENT_RUNNER=ecs/,
      'a list of nothing is no list',
    );
    const config = load({
      AGENT_RUNNER: 'ecs',
      AGENT_SUBNETS: 'subnet-1,subnet-2',
      AGENT_SECURITY_GROUPS: 'sg-1',
      AGENT_FILE_SYSTEM_ID: 'fs-1',
    });
    assert.deepEqual(config.AGENT_SUBNETS, ['subnet-1', 'subnet-2']);
  });
});
