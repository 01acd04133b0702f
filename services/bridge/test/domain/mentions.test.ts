import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mentionsIn } from '../../src/domain/mentions.ts';
import { createNaming } from '@ocf/naming';

const naming = createNaming({ serverName: 'hs', namespace: 'blue' });
const message = (content: Record<string, unknown>, sender = '@ceo:hs') => ({
  type: 'm.room.message',
  sender,
  room_id: '!room:hs',
  event_id: '$event',
  content,
});

describe('mentions', () => {
  it('finds agents in intentional mentions, pills and typed user ids', () => {
    const found = mentionsIn(
      message({
        body: 'ping @agent-blue_ken:hs',
        formatted_body: '<a href="https://matrix.to/#/%40agent-blue_ada%3Ahs">Ada</a>',
        'm.mentions': { user_ids: ['@agent-blue_grace:hs', '@someone:hs'] },
      }),
      naming,
    );
    assert.deepEqual(found.map((m) => m.agentId).sort(), ['ada', 'grace', 'ken']);
    assert.deepEqual(found[0], {
      agentId: 'grace',
      roomId: '!room:hs',
      eventId: '$event',
      sender: '@ceo:hs',
    });
  });

  it("ignores other fleets' agents, an agent's own messages, and anything but messages", () => {
    assert.deepEqual(mentionsIn(message({ body: '@agent-ken:hs @agent-red_ken:hs' }), naming), []);
    assert.deepEqual(
      mentionsIn(message({ body: 'me: @agent-blue_ken:hs' }, '@agent-blue_ken:hs'), naming),
      [],
    );
    assert.deepEqual(
      mentionsIn({ ...message({ body: '@agent-blue_ken:hs' }), type: 'm.room.topic' }, naming),
      [],
    );
    assert.deepEqual(mentionsIn({ type: 'm.room.message', content: null }, naming), []);
    assert.deepEqual(mentionsIn(message({ formatted_body: 'https://matrix.to/#/%E0%A4%A' }), naming), []);
  });
});
