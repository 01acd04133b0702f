import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AGENT_SECRET_FORMAT_VERSION,
  agentDirectoryToken,
  agentTokenKeyName,
  parseAgentSecretValue,
  SecretText,
  serializeAgentSecretValue,
  verifyAgentDirectoryToken,
} from '../src/index.ts';

const KEY = new SecretText('k'.repeat(43));
const OTHER_KEY = new SecretText('j'.repeat(43));

describe('agent directory token', () => {
  it('verifies to its own agent id under the same key and fleet only', () => {
    const token = agentDirectoryToken(KEY, 'local', 'ada-lovelace').reveal();
    assert.match(token, /^ocfa_ada-lovelace\.[\w-]{43}$/);
    assert.equal(verifyAgentDirectoryToken(KEY, 'local', token), 'ada-lovelace');
    assert.equal(verifyAgentDirectoryToken(OTHER_KEY, 'local', token), undefined, 'another key');
    assert.equal(verifyAgentDirectoryToken(KEY, 'prod', token), undefined, 'another fleet');
  });

  it('cannot be moved to another agent id by editing the id', () => {
    const token = agentDirectoryToken(KEY, 'local', 'ada').reveal();
    assert.equal(verifyAgentDirectoryToken(KEY, 'local', token.replace('ocfa_ada.', 'ocfa_bob.')), undefined);
  });

  it('refuses anything that is not a well-formed token', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        assert.equal(verifyAgentDirectoryToken(KEY, 'local', text), undefined);
      }),
    );
    for (const text of ['ocfa_', 'ocfa_.abc', 'ocfa_ada', 'ocfa_ADA.x', 'ocf_abc'])
      assert.equal(verifyAgentDirectoryToken(KEY, 'local', text), undefined, text);
  });

  it('names its key per fleet', () => {
    assert.equal(agentTokenKeyName('local'), 'ocf/local/directory/agent-token-key');
    assert.throws(() => agentTokenKeyName('../x'));
  });

  it('travels in the agent secret as an optional field, and secrets without it still parse', () => {
    const token = agentDirectoryToken(KEY, 'local', 'ada');
    const value = {
      version: AGENT_SECRET_FORMAT_VERSION,
      matrix: { password: new SecretText('p'.repeat(40)) },
      issuedAt: '2026-11-25T10:00:00.000Z',
      directory: { token },
    } as const;
    const text = serializeAgentSecretValue(value);
    const parsed = parseAgentSecretValue(text);
    assert.equal(parsed.directory?.token.reveal(), token.reveal());
    assert.equal(JSON.stringify(parsed).includes(token.reveal()), false, 'stays wrapped');

    const old = parseAgentSecretValue(
      JSON.stringify({ version: 1, matrix: { password: 'p'.repeat(40) }, issuedAt: value.issuedAt }),
    );
    assert.equal(old.directory, undefined);
  });
});
