import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { requestToken } from '../../src/domain/request-token.ts';

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request tokens', () => {
  it('are the same for every delivery of one event, and a valid ClientRequestToken', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 128 }),
        fc.constantFrom('issue', 'rotate' as const),
        (eventId, purpose) => {
          const token = requestToken(purpose, eventId);
          assert.equal(token, requestToken(purpose, eventId));
          assert.match(token, UUID_V8);
        },
      ),
    );
  });

  it('differ between events and between purposes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 128 }), fc.string({ maxLength: 128 }), (a, b) => {
        fc.pre(a !== b);
        assert.notEqual(requestToken('rotate', a), requestToken('rotate', b));
      }),
    );
    assert.notEqual(requestToken('issue', 'event-1'), requestToken('rotate', 'event-1'));
  });
});
