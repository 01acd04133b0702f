import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGatewayConfig, SECRET_IDS, type GatewayConfigInput } from '../src/openclaw/gateway-config.ts';

const input: GatewayConfigInput = {
  port: 18789,
  workspace: '/agent-data',
  secretsFile: '/tmp/state/secrets/agent.json',
  logFile: '/tmp/state/logs/openclaw.log',
  homeserverUrl: 'http://synapse:8008',
  matrixUserId: '@agent-ada:example.org',
  orgRooms: ['#all-employees:example.org', '#engineering.platform-team:example.org'],
  dmAllowFrom: ['@ceo:example.org', '@agent-grace:example.org'],
  model: { provider: 'openai-compatible', baseUrl: 'http://llm:8000/v1', modelId: 'm1', hasApiKey: true },
  directoryToolUrl: 'http://127.0.0.1:40000/mcp',
  heartbeatEvery: '0m',
  loopGuard: {
    pluginDir: '/app/agent-container/openclaw-plugin',
    maxAgentTurns: 4,
    windowSeconds: 600,
    agentUserIdPrefix: '@agent-',
    agentUserIdSuffix: ':example.org',
  },
};

/** `config` at a dotted path, e.g. `channels.matrix.autoJoin`. */
function get(config: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}

describe("the agent's OpenClaw configuration", () => {
  it('refers to credentials by file reference only', () => {
    const config = buildGatewayConfig(input);
    const fileRef = (id: string) => ({ source: 'file', provider: 'agent', id });
    assert.deepEqual(get(config, 'channels.matrix.accessToken'), fileRef(SECRET_IDS.matrixAccessToken));
    assert.equal(get(config, 'channels.matrix.password'), undefined, 'no password login (ADR 0020)');
    assert.deepEqual(get(config, 'gateway.auth.token'), fileRef(SECRET_IDS.gatewayToken));
    assert.deepEqual(get(config, 'models.providers.fleet-llm.apiKey'), fileRef(SECRET_IDS.modelApiKey));
    assert.deepEqual(get(config, 'secrets.providers.agent'), {
      source: 'file',
      path: input.secretsFile,
      mode: 'json',
    });
  });

  it('joins and answers in org rooms only, when mentioned, and takes direct messages from the org only', () => {
    const matrix = (path: string) => get(buildGatewayConfig(input), `channels.matrix.${path}`);
    assert.equal(matrix('autoJoin'), 'allowlist');
    assert.deepEqual(matrix('autoJoinAllowlist'), input.orgRooms);
    assert.equal(matrix('groupPolicy'), 'allowlist');
    assert.deepEqual(
      matrix('groups'),
      Object.fromEntries(input.orgRooms.map((alias) => [alias, { requireMention: true }])),
    );
    assert.deepEqual(matrix('dm'), {
      enabled: true,
      policy: 'allowlist',
      allowFrom: input.dmAllowFrom,
      sessionScope: 'per-room',
    });
    assert.equal(matrix('encryption'), false);
    assert.equal(matrix('network.dangerouslyAllowPrivateNetwork'), true);
    assert.equal(matrix('joinIntro'), false);
  });

  it('switches off what phones home or spends tokens unasked', () => {
    const config = buildGatewayConfig(input);
    assert.equal(get(config, 'update.checkOnStart'), false);
    assert.equal(get(config, 'telemetry.enabled'), false);
    assert.equal(get(config, 'models.catalogRefresh.enabled'), false);
    assert.equal(get(config, 'discovery.mdns.mode'), 'off');
    assert.equal(get(config, 'agents.defaults.heartbeat.every'), '0m');
    assert.equal(get(config, 'agents.defaults.utilityModel'), '');
    assert.equal(get(config, 'cron.enabled'), false);
    assert.equal(get(config, 'plugins.entries.memory-core.config.dreaming.enabled'), false);
    assert.equal(get(config, 'skills.workshop.autonomous.mode'), 'off');
    const withHeartbeat = buildGatewayConfig({ ...input, heartbeatEvery: '2h' });
    assert.equal(get(withHeartbeat, 'agents.defaults.heartbeat.every'), '2h');
    assert.equal(get(withHeartbeat, 'cron.enabled'), true);
  });

  it('uses Bedrock through the AWS SDK chain, with its plugin allowed and its discovery off', () => {
    const config = buildGatewayConfig({
      ...input,
      model: { provider: 'bedrock', region: 'eu-west-1', modelId: 'anthropic.x' },
    });
    assert.equal(get(config, 'models.providers.amazon-bedrock.auth'), 'aws-sdk');
    assert.equal(
      get(config, 'models.providers.amazon-bedrock.baseUrl'),
      'https://bedrock-runtime.eu-west-1.amazonaws.com',
    );
    assert.equal(get(config, 'agents.defaults.model.primary'), 'amazon-bedrock/anthropic.x');
    assert.ok((get(config, 'plugins.allow') as string[]).includes('amazon-bedrock'));
    assert.equal(get(config, 'plugins.entries.amazon-bedrock.config.discovery.enabled'), false);
  });
});
