import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  agentModelKey,
  claimedModelKeyAgent,
  modelKeyKeyName,
  parseAgentSecretValue,
  SecretText,
  serializeAgentSecretValue,
  verifyAgentModelKey,
} from '../src/index.ts';

const KEY = new SecretText('m'.repeat(43));
const OTHER_KEY = new SecretText('n'.repeat(43));
const VERSION = '0f1e2d3c-4b5a-8697-a8b9-cadbecfd0e1f';

describe('agent model key', () => {
  it('verifies to its agent and secret version under the same key and fleet only', () => {
    const key = agentModelKey(KEY, 'local', 'ada-lovelace', VERSION).reveal();
    assert.match(key, /^ocfm_ada-lovelace\.0f1e2d3c-4b5a-8697-a8b9-cadbecfd0e1f\.[\w-]{43}$/);
    assert.deepEqual(verifyAgentModelKey(KEY, 'local', key), { agentId: 'ada-lovelace', versionId: VERSION });
    assert.equal(verifyAgentModelKey(OTHER_KEY, 'local', key), undefined, 'another key');
    assert.equal(verifyAgentModelKey(KEY, 'prod', key), undefined, 'another fleet');
    assert.equal(claimedModelKeyAgent(key), 'ada-lovelace');
  });

  it("cannot be moved to another agent or another version by editing it (A's key never spends for B)", () => {
    const key = agentModelKey(KEY, 'local', 'ada', VERSION).reveal();
    assert.equal(verifyAgentModelKey(KEY, 'local', key.replace('ocfm_ada.', 'ocfm_bob.')), undefined);
    const otherVersion = VERSION.replace('0f1e', 'aaaa');
    assert.equal(verifyAgentModelKey(KEY, 'local', key.replace(VERSION, otherVersion)), undefined);
  });

  it('refuses anything that is not a well-formed key', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        assert.equal(verifyAgentModelKey(KEY, 'local', text), undefined);
      }),
    );
    for (const text of ['ocfm_', 'ocfm_ada', 'ocfm_ada.x.y', 'ocfm_ADA.12345678.x', 'ocfa_ada.12345678.x'])
      assert.equal(verifyAgentModelKey(KEY, 'local', text), undefined, text);
  });

  it('is named per fleet, and travels in the agent secret without a format version bump', () => {
    assert.equal(modelKeyKeyName('prod'), 'ocf/prod/model-gateway/agent-key-key');
    assert.throws(() => modelKeyKeyName('a/b'));
    const model = agentModelKey(KEY, 'local', 'ada', VERSION);
    const text = serializeAgentSecretValue({
      version: 1,
      matrix: { password: new SecretText('p'.repeat(43)) },
      issuedAt: '2026-12-01T00:00:00.000Z',
      model: { key: model },
    });
    const parsed = parseAgentSecretValue(text);
    assert.equal(parsed.model?.key.reveal(), model.reveal());
    assert.equal(JSON.stringify(parsed).includes(model.reveal()), false, 'prints redacted');
    // A secret from before model keys still parses.
    assert.equal(
      parseAgentSecretValue(
        JSON.stringify({
          version: 1,
          matrix: { password: 'p'.repeat(43) },
          issuedAt: '2026-12-01T00:00:00Z',
        }),
      ).model,
      undefined,
    );
  });
});
