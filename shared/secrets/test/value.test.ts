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

const TOKEN = 'syt_Zq4_canary-token-0123456789-abcdefghijkl';
const PASSWORD = 'Zq4_canary-password-0123456789-abcdefghijkl';

function valueWith(accessToken: string) {
  return {
    version: AGENT_SECRET_FORMAT_VERSION,
    matrix: { accessToken: new SecretText(accessToken), deviceId: 'OCFAGENT' },
    issuedAt: '2026-11-25T10:00:00.000Z',
  } as const;
}

describe('agent secret value', () => {
  it('round-trips through its JSON form, keeping the access token wrapped', () => {
    const text = serializeAgentSecretValue(valueWith(TOKEN));
    assert.deepEqual(JSON.parse(text.reveal()), {
      version: 1,
      matrix: { accessToken: TOKEN, deviceId: 'OCFAGENT' },
      issuedAt: '2026-11-25T10:00:00.000Z',
    });
    const parsed = parseAgentSecretValue(text.reveal());
    assert.equal(parsed.matrix?.accessToken?.reveal(), TOKEN);
    assert.equal(String(parsed.matrix.accessToken), '[REDACTED]');
    assert.equal(parsed.issuedAt, '2026-11-25T10:00:00.000Z');
    assert.equal(parseAgentSecretValue(text).matrix?.accessToken?.reveal(), TOKEN, 'reads a SecretText too');
  });

  it("keeps the Matrix part's sync position (ADR 0028), which is no secret", () => {
    const text = serializeAgentSecretValue({
      ...valueWith(TOKEN),
      matrix: { accessToken: new SecretText(TOKEN), deviceId: 'OCFAGENT', syncFrom: 's72_1_0_0_0_0_0_0_0_0' },
    });
    const parsed = parseAgentSecretValue(text);
    assert.equal(parsed.matrix?.syncFrom, 's72_1_0_0_0_0_0_0_0_0');
    assert.throws(
      () =>
        parseAgentSecretValue(JSON.stringify({ ...JSON.parse(text.reveal()), matrix: { syncFrom: 'a b' } })),
      AgentSecretError,
    );
  });

  it('has no Matrix part until the bridge adds one, and still reads a password of ADR 0006', () => {
    const issued = parseAgentSecretValue(JSON.stringify({ version: 1, issuedAt: '2026-11-25T10:00:00Z' }));
    assert.equal(issued.matrix, undefined);
    const old = parseAgentSecretValue(
      JSON.stringify({ version: 1, matrix: { password: PASSWORD }, issuedAt: '2026-11-25T10:00:00Z' }),
    );
    assert.equal(old.matrix?.password?.reveal(), PASSWORD);
  });

  it('ignores fields it does not know, so a later writer may add material', () => {
    const parsed = parseAgentSecretValue(
      JSON.stringify({
        version: 1,
        matrix: { accessToken: TOKEN, refreshToken: 'X' },
        issuedAt: '2026-11-25T10:00:00Z',
        extra: 1,
      }),
    );
    assert.equal(parsed.matrix?.accessToken?.reveal(), TOKEN);
  });

  it('refuses a format version it does not know, and says which', () => {
    assert.throws(
      () =>
        parseAgentSecretValue(JSON.stringify({ version: 2, matrix: { password: PASSWORD }, issuedAt: 'x' })),
      /format version 2 is not supported \(this reader knows version 1\)/,
    );
  });

  it('refuses a short or malformed token when writing', () => {
    assert.throws(() => serializeAgentSecretValue(valueWith('short')), /matrix\.accessToken: too_small/);
    assert.throws(
      () => serializeAgentSecretValue(valueWith(`${'x'.repeat(40)} y`)),
      /matrix\.accessToken: invalid_format/,
    );
  });

  it('never repeats the secret in an error message, whatever the input', () => {
    const canary = fc.stringMatching(/^[A-Za-z0-9]{16,60}$/);
    const shapes = fc.constantFrom<(secret: string) => string>(
      (secret) => `{"version":1,"matrix":{"accessToken":"${secret}"`, // cut short
      (secret) => secret, // not JSON at all
      (secret) => JSON.stringify({ version: 1, matrix: { password: secret }, issuedAt: secret }),
      (secret) =>
        JSON.stringify({ version: 1, matrix: { accessToken: [secret] }, issuedAt: '2026-11-25T10:00:00Z' }),
      (secret) => JSON.stringify({ version: secret, matrix: secret }),
      (secret) =>
        JSON.stringify({
          version: 1,
          matrix: { accessToken: `${secret} ${secret}` },
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
