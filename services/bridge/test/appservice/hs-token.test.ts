import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presentedToken, tokenMatches } from '../../src/appservice/hs-token.ts';

describe('homeserver token', () => {
  it('matches only itself, whatever the length of a guess', () => {
    assert.equal(tokenMatches('secret-token', 'secret-token'), true);
    for (const guess of ['', 's', 'secret-toke', 'secret-token ', 'SECRET-TOKEN', 'x'.repeat(1000)]) {
      assert.equal(tokenMatches('secret-token', guess), false, guess);
    }
  });

  it('is read from the Authorization header, else from the legacy query parameter', () => {
    assert.equal(presentedToken('Bearer abc', {}), 'abc');
    assert.equal(presentedToken('bearer abc', { access_token: 'def' }), 'abc');
    assert.equal(presentedToken(undefined, { access_token: 'def' }), 'def');
    assert.equal(presentedToken('Basic abc', {}), undefined);
    assert.equal(presentedToken(undefined, { access_token: '' }), undefined);
  });
});
