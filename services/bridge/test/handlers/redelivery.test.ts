import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bridgeHarness, hireSmallOrg, SMALL_ORG, type BridgeHarness } from '../support/harness.ts';

/** Everything a repeat could double: rooms, memberships, messages, direct marks, logouts. */
function snapshot(h: BridgeHarness) {
  return JSON.stringify({
    rooms: [...h.fake.rooms.values()].map((room) => ({
      id: room.roomId,
      members: [...room.members].sort(),
      messages: room.messages.map((m) => m.eventId),
    })),
    users: [...h.fake.users].map(([id, user]) => [id, user.displayName, user.loggedOut, user.direct]),
  });
}

describe('every event delivered again', () => {
  it('changes nothing when the same events come again, and again under new ids', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);
    const before = snapshot(h);
    const readyBefore = h.publishedOf('ChatAccountReady').length;

    for (const event of h.delivered) await h.deliver(event, { receiveCount: 2 });
    for (const event of h.delivered) await h.deliver(h.freshCopy(event));

    assert.equal(snapshot(h), before);
    const tokensIssued = h.fake.calls.filter((call) => call === 'issueAccessToken').length;
    assert.equal(tokensIssued, SMALL_ORG.length, 'a repeat never mints (and logs out) a token again');
    // CredentialsIssued is reported again on every delivery, as the credentials service does.
    assert.equal(h.publishedOf('ChatAccountReady').length, readyBefore + 2 * SMALL_ORG.length);
  });

  it('makes the account when the hire arrives after the credentials, and says so once', async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    h.secrets.issue('mary');
    const issued = h.event('CredentialsIssued', {
      agentId: 'mary',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/mary-a1B2c3',
      restored: false,
    });
    const hired = h.event('AgentHired', { agentId: 'mary', ...SMALL_ORG[6]![1] });

    await h.deliver(issued);
    assert.equal(h.fake.users.has(h.userId('mary')), false, 'no account before the hire is known');
    await h.deliver(hired);
    assert.equal(h.displayNameOf('mary'), 'Mary Barra — VP Sales');
    await h.deliver(hired, { receiveCount: 2 });
    assert.deepEqual(
      h.publishedOf('ChatAccountReady').map((e) => e.data.agentId),
      ['grace', 'mary'],
    );
  });

  it('keeps an update that overtook its hire, and applies it when the hire arrives', async () => {
    const h = bridgeHarness();
    const hired = h.event('AgentHired', { agentId: 'grace', ...SMALL_ORG[0]![1] });
    const promoted = h.event('AgentUpdated', {
      agentId: 'grace',
      changes: { title: 'Chief Technology Officer' },
      previous: { title: 'VP Engineering' },
    });
    await h.deliver(promoted);
    await h.deliver(hired);
    await h.issue('grace');
    assert.equal(h.displayNameOf('grace'), 'Grace Hopper — Chief Technology Officer');
  });

  it("lets a report wait for its manager's account, then finishes", async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    const adaHired = h.event('AgentHired', { agentId: 'ada', ...SMALL_ORG[1]![1] });
    await h.deliver(adaHired);
    h.secrets.issue('ada');
    h.secrets.issue('linus');
    await h.deliver(h.event('AgentHired', { agentId: 'linus', ...SMALL_ORG[3]![1] }));
    const linusIssued = h.event('CredentialsIssued', {
      agentId: 'linus',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/linus-a1B2c3',
      restored: false,
    });

    const error = await h.deliverExpectingFailure(linusIssued);
    assert.equal((error as { code?: string }).code, 'MANAGER_NOT_READY');
    assert.equal((error as { retryable?: boolean }).retryable, true);

    await h.issue('ada');
    await h.deliver(linusIssued, { receiveCount: 2 });
    assert.deepEqual(h.members('dm.ada.linus'), ['ada', 'linus']);
  });
});
