import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseAgentSecretValue, SecretText, serializeAgentSecretValue } from '@ocf/secrets';
import { agentSecretTags, newAgentSecretValue } from '../../src/domain/agent-secret.ts';

describe('agent secret values', () => {
  it('hold the issue time and the directory token, in the shared format, and leave Matrix to the bridge', () => {
    const value = newAgentSecretValue(
      new Date('2026-11-25T10:00:00Z'),
      randomBytes,
      new SecretText('ocfa_ada.token-made-by-the-handler'),
    );
    const again = newAgentSecretValue(new Date('2026-11-25T10:00:00Z'), randomBytes, value.directory!.token);
    assert.notEqual(again.valueId, value.valueId, 'every value differs, even at the same instant');
    const parsed = parseAgentSecretValue(serializeAgentSecretValue(value));
    assert.equal(parsed.matrix, undefined, 'the Matrix access token is added by the bridge (ADR 0020)');
    assert.equal(parsed.issuedAt, '2026-11-25T10:00:00.000Z');
    assert.equal(parsed.directory?.token.reveal(), 'ocfa_ada.token-made-by-the-handler');
  });

  it('are tagged with the agent, the environment and the owner', () => {
    assert.deepEqual(agentSecretTags('prod', 'ada'), {
      'ocf:agent-id': 'ada',
      'ocf:environment': 'prod',
      'ocf:managed-by': 'ocf-credentials',
    });
  });
});
