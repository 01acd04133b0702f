import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryLogger } from '@ocf/logging';
import { createMemoryDedupeStore } from '@ocf/runtime';
import { buildAppserviceApp } from '../../src/appservice/app.ts';
import type { Mention } from '../../src/domain/mentions.ts';
import { createNaming } from '@ocf/naming';

const HS_TOKEN = 'the-homeserver-token';

function appservice(onMention: (mention: Mention) => Promise<void> = () => Promise.resolve()) {
  const mentions: Mention[] = [];
  const transactions = createMemoryDedupeStore();
  const app = buildAppserviceApp({
    hsToken: HS_TOKEN,
    naming: createNaming({ serverName: 'hs' }),
    transactions,
    logger: createMemoryLogger(),
    onMention: async (mention) => {
      await onMention(mention);
      mentions.push(mention);
    },
  });
  return { app, mentions, transactions };
}

const transaction = (txnId: string, body = 'hello @agent-ken:hs') => ({
  method: 'PUT' as const,
  url: `/_matrix/app/v1/transactions/${txnId}`,
  headers: { authorization: `Bearer ${HS_TOKEN}` },
  payload: {
    events: [
      {
        type: 'm.room.message',
        sender: '@ceo:hs',
        room_id: '!r:hs',
        event_id: `$${txnId}`,
        content: { body },
      },
      {
        type: 'm.room.member',
        sender: '@ceo:hs',
        room_id: '!r:hs',
        event_id: '$m',
        state_key: '@ceo:hs',
        content: {},
      },
    ],
  },
});

describe('application-service endpoint', () => {
  it('refuses requests without the homeserver token, or with a wrong one', async () => {
    const { app, mentions } = appservice();
    const missing = await app.inject({ ...transaction('1'), headers: {} });
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json<{ errcode: string }>().errcode, 'M_UNAUTHORIZED');
    for (const token of ['wrong', `${HS_TOKEN}x`, HS_TOKEN.slice(0, -1), '']) {
      const wrong = await app.inject({ ...transaction('1'), headers: { authorization: `Bearer ${token}` } });
      assert.ok([401, 403].includes(wrong.statusCode), token);
    }
    assert.equal(mentions.length, 0);
  });

  it('accepts the token in the header, or in the query as older homeservers send it', async () => {
    const { app } = appservice();
    assert.equal((await app.inject(transaction('1'))).statusCode, 200);
    const legacy = await app.inject({
      ...transaction('2'),
      headers: {},
      url: `${transaction('2').url}?access_token=${HS_TOKEN}`,
    });
    assert.equal(legacy.statusCode, 200);
  });

  it('hears which agents a message mentions', async () => {
    const { app, mentions } = appservice();
    await app.inject(transaction('7'));
    assert.deepEqual(mentions, [{ agentId: 'ken', roomId: '!r:hs', eventId: '$7', sender: '@ceo:hs' }]);
  });

  it('answers a replayed transaction without handling it again', async () => {
    const { app, mentions } = appservice();
    assert.equal((await app.inject(transaction('9'))).statusCode, 200);
    assert.equal((await app.inject(transaction('9'))).statusCode, 200);
    assert.equal(mentions.length, 1);
    // Same id, other content: a homeserver whose database was reset. Handled, not swallowed.
    await app.inject(transaction('9', 'again @agent-ken:hs'));
    assert.equal(mentions.length, 2);
  });

  it('fails a transaction it could not handle, so the homeserver sends it again', async () => {
    let failures = 1;
    const { app, mentions } = appservice(() =>
      failures-- > 0 ? Promise.reject(new Error('wake-up queue unreachable')) : Promise.resolve(),
    );
    assert.equal((await app.inject(transaction('3'))).statusCode, 500);
    assert.equal((await app.inject(transaction('3'))).statusCode, 200);
    assert.equal(mentions.length, 1);
  });

  it('acknowledges a handled transaction even when recording it fails', async () => {
    const { app, mentions, transactions } = appservice();
    transactions.complete = () => Promise.reject(new Error('dedupe table unreachable'));
    assert.equal((await app.inject(transaction('4'))).statusCode, 200);
    assert.equal(mentions.length, 1);
  });

  it('creates no users or rooms on demand, answers pings, and refuses the unknown', async () => {
    const { app } = appservice();
    const headers = { authorization: `Bearer ${HS_TOKEN}` };
    assert.equal((await app.inject({ url: '/_matrix/app/v1/users/@agent-x:hs', headers })).statusCode, 404);
    assert.equal((await app.inject({ url: '/_matrix/app/v1/rooms/%23x:hs', headers })).statusCode, 404);
    assert.equal(
      (await app.inject({ method: 'POST', url: '/_matrix/app/v1/ping', headers, payload: {} })).statusCode,
      200,
    );
    const unknown = await app.inject({ url: '/somewhere', headers });
    assert.equal(unknown.json<{ errcode: string }>().errcode, 'M_UNRECOGNIZED');
  });
});
