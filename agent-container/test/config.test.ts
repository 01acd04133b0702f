import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAgentConfig } from '../src/config.ts';

const base = {
  AWS_REGION: 'us-east-1',
  AGENT_ID: 'ada',
  AGENT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/local/agents/ada-AbCdEf',
  AGENT_WORKSPACE: '/agent-data',
  DIRECTORY_URL: 'http://directory:8081',
  MATRIX_HOMESERVER_URL: 'http://synapse:8008',
  MATRIX_SERVER_NAME: 'example.org',
  MODEL_ID: 'anthropic.claude',
};

describe("the entrypoint's settings", () => {
  it('reads the names provisioning and the task definition use today as well', () => {
    const rest = without(base, 'AGENT_ID', 'AGENT_SECRET_ARN', 'AGENT_WORKSPACE');
    const config = loadAgentConfig({
      ...rest,
      OCF_AGENT_ID: 'ada',
      OCF_AGENT_SECRET_FILE: '/run/ocf/agent-secret/secret.json',
      OCF_AGENT_DATA_DIR: '/agent-data',
      OCF_AGENT_HEALTH_PORT: '8080',
    });
    assert.equal(config.AGENT_ID, 'ada');
    assert.equal(config.AGENT_SECRET_FILE, '/run/ocf/agent-secret/secret.json');
    assert.equal(config.GATEWAY_PORT, 8080);
    assert.equal(config.MODEL_PROVIDER, 'bedrock');
  });

  it('insists on exactly one secret source, a server name and an endpoint for compatible models', () => {
    assert.throws(() => loadAgentConfig({ ...base, AGENT_SECRET_FILE: '/x' }), /exactly one/);
    const noServer = without(base, 'MATRIX_SERVER_NAME');
    assert.throws(() => loadAgentConfig(noServer), /MATRIX_USER_ID \/ MATRIX_SERVER_NAME/);
    assert.equal(
      loadAgentConfig({ ...noServer, MATRIX_USER_ID: '@agent-ada:example.org' }).MATRIX_USER_ID,
      '@agent-ada:example.org',
    );
    assert.throws(() => loadAgentConfig({ ...base, MODEL_PROVIDER: 'openai-compatible' }), /OPENAI_BASE_URL/);
  });

  it("goes through the fleet's model gateway whenever one is named (ADR 0017)", () => {
    const config = loadAgentConfig({ ...base, MODEL_GATEWAY_URL: 'http://127.0.0.1:8086' });
    assert.equal(config.MODEL_PROVIDER, 'gateway');
    assert.throws(
      () => loadAgentConfig({ ...base, MODEL_PROVIDER: 'gateway' }),
      /MODEL_GATEWAY_URL: required/,
    );
  });
});

function without(env: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)));
}
