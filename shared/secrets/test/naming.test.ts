import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AGENT_SECRET_TAG_KEYS,
  AgentSecretError,
  agentSecretName,
  agentSecretNamePrefix,
} from '../src/index.ts';

describe('agent secret names', () => {
  it('names one secret per environment and agent', () => {
    assert.equal(agentSecretName('prod', 'ada-lovelace'), 'ocf/prod/agents/ada-lovelace');
    assert.equal(agentSecretNamePrefix('t-run-1a2b3c'), 'ocf/t-run-1a2b3c/agents/');
    assert.ok(agentSecretName('prod', 'ada').startsWith(agentSecretNamePrefix('prod')));
  });

  it('refuses name parts that could step outside the agent namespace', () => {
    for (const [environment, agentId] of [
      ['prod', '../grace'],
      ['prod', 'ada/lovelace'],
      ['prod', 'Ada'],
      ['prod', 'ada*'],
      ['prod', ''],
      ['prod/agents', 'ada'],
    ] as const) {
      assert.throws(
        () => agentSecretName(environment, agentId),
        (error: unknown) => error instanceof AgentSecretError && error.code === 'AGENT_SECRET_NAME_INVALID',
        `${environment} / ${agentId}`,
      );
    }
  });

  it('tags with namespaced keys', () => {
    assert.deepEqual(Object.values(AGENT_SECRET_TAG_KEYS), [
      'ocf:agent-id',
      'ocf:environment',
      'ocf:managed-by',
    ]);
  });
});
