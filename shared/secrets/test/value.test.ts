import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AGENT_SECRET_FORMAT_VERSION,
  AgentSecretError,
  parseAgentSecretValue,
  SecretText,
  serializeAgentSecretValue,
} from '../src/index.ts';

const PASSWORD = 'Zq4_canary-password-0123456789-abcdefghijkl';

function valueWith(password: string) {
  return {
    version: AGENT_SECRET_FORMAT_VERSION,
    matrix: { password: new SecretText(password) },
    issuedAt: '2026-11-25T10:00:00.000Z',
  } as const;
}

describe('agent secret value', () => {
  it('round-trips through its JSON form, keeping the password wrapped', () => {
    const text = serializeAgentSecretValue(valueWith(PASSWORD));
    assert.deepEqual(JSON.parse(text.reveal()), {
      version: 1,
      matrix: { password: PASSWORD },
      issuedAt: '2026-11-25T10:00:00.000Z',
    });
    const parsed = parseAgentSecretValue(text.reveal());
    assert.equal(parsed.matrix.password.reveal(), PASSWORD);
    assert.equal(parsed.issuedAt, '2026-11-25T10:00:00.000Z');
    assert.equal(parseAgentSecretValue(text).matrix.password.reveal(), PASSWORD, 'reads a SecretText too');
  });

  it('ignores fields it does not know, so a later writer may add material', () => {
    const parsed = parseAgentSecretValue(
      JSON.stringify({
        version: 1,
        matrix: { password: PASSWORD, deviceId: 'X' },
        issuedAt: '2026-11-25T10:00:00Z',
        extra: 1,
      }),
    );
    assert.equal(parsed.matrix.password.reveal(), PASSWORD);
  });

  it('refuses a format version it does not know, and says which', () => {
    assert.throws(
      () =>
        parseAgentSecretValue(JSON.stringify({ version: 2, matrix: { password: PASSWORD }, issuedAt: 'x' })),
      /format version 2 is not supported \(this reader knows version 1\)/,
    );
  });

  it('refuses a weak or malformed password when writing', () => {
    assert.throws(() => serializeAgentSecretValue(valueWith('short')), /matrix\.password: too_small/);
    assert.throws(
      () => serializeAgentSecretValue(valueWith(`${'x'.repeat(40)} y`)),
      /matrix\.password: invalid_format/,
    );
  });

  it('never repeats the secret in an error message, whatever the input', () => {
    const canary = fc.stringMatching(/^[A-Za-z0-9]{16,60}$/);
    const shapes = fc.constantFrom<(secret: string) => string>(
      (secret) => `{"version":1,"matrix":{"password":"${secret}"`, // cut short
      (secret) => secret, // not JSON at all
      (secret) => JSON.stringify({ version: 1, matrix: { password: secret }, issuedAt: secret }),
      (secret) =>
        JSON.stringify({ version: 1, matrix: { password: [secret] }, issuedAt: '2026-11-25T10:00:00Z' }),
      (secret) => JSON.stringify({ version: secret, matrix: secret }),
      (secret) =>
        JSON.stringify({
          version: 1,
          matrix: { password: `${secret} ${secret}` },
          issuedAt: '2026-11-25T10:00:00Z',
        }),
    );
    fc.assert(
      fc.property(canary, shapes, (secret, shape) => {
        try {
          parseAgentSecretValue(shape(secret));
        } catch (error) {
          assert.ok(error instanceof AgentSecretError);
          assert.equal(error.retryable, false);
          assert.ok(!error.message.includes(secret), error.message);
          assert.ok(!inspect(error).includes(secret));
          return;
        }
        assert.fail('a malformed value was accepted');
      }),
    );
  });
});

describe('SecretText', () => {
  it('prints as [REDACTED] everywhere but reveal()', () => {
    const text = new SecretText(PASSWORD);
    const channels = [
      // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the leak under test
      `${text}`,
      String(text),
      JSON.stringify({ text }),
      inspect(text),
      inspect({ nested: { text } }, { depth: 5 }),
    ];
    for (const printed of channels) {
      assert.ok(!printed.includes(PASSWORD), printed);
      assert.match(printed, /\[REDACTED\]/);
    }
    assert.equal(text.reveal(), PASSWORD);
  });
});
