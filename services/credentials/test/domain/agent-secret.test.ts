import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseAgentSecretValue, SecretText, serializeAgentSecretValue } from '@ocf/secrets';
import { agentSecretTags, newAgentSecretValue } from '../../src/domain/agent-secret.ts';

describe('agent secret values', () => {
  it('hold 256 random bits as a 43-character password, in the shared format', () => {
    const sizes: number[] = [];
    const value = newAgentSecretValue(
      new Date('2026-11-25T10:00:00Z'),
      (size) => {
        sizes.push(size);
        return randomBytes(size);
      },
      new SecretText('ocfa_ada.token-made-by-the-handler'),
    );
    assert.deepEqual(sizes, [32]);
    const parsed = parseAgentSecretValue(serializeAgentSecretValue(value));
    assert.match(parsed.matrix.password.reveal(), /^[A-Za-z0-9_-]{43}$/);
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
