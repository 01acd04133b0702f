import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bridgeHarness, hireSmallOrg, SMALL_ORG, type BridgeHarness } from '../support/harness.ts';

const RND = 'research-and-development';

/** The access token in the agent's current secret version, and whose it is on the homeserver now. */
function secretToken(
  h: BridgeHarness,
  agentId: string,
): { token: string | undefined; owner: string | undefined } {
  const token = h.secrets.currentOf(agentId)?.value.matrix?.accessToken?.reveal();
  return { token, owner: token === undefined ? undefined : h.fake.whoami(token) };
}

describe('retirement', () => {
  it('says goodbye once, takes the agent out of every room, and ends every session', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);
    const { token } = secretToken(h, 'ken');
    assert.equal(h.fake.whoami(token ?? ''), h.userId('ken'), 'the token worked while ken was employed');

    const retired = h.event('AgentRetired', { agentId: 'ken' });
    await h.deliver(retired);
    await h.deliver(retired, { receiveCount: 2 });
    await h.deliver(h.freshCopy(retired));

    const ken = h.fake.users.get(h.userId('ken'));
    assert.equal(ken?.tokens.size, 0, 'nothing of it can be used: no session, and never a password');
    assert.equal(h.fake.whoami(token ?? ''), undefined);
    for (const room of h.fake.rooms.values()) {
      assert.notEqual(room.members.get(h.userId('ken')), 'join', room.creation.name);
    }
    assert.deepEqual(h.members('dm.linus.ken'), [], 'its manager left their direct room too');
    assert.deepEqual(
      h.announcements('all-employees').filter((a) => a.endsWith(' ken')),
      ['welcome ken', 'farewell ken'],
    );
    assert.deepEqual(
      h.announcements(`${RND}.platform-team`).filter((a) => a.endsWith(' ken')),
      ['welcome ken', 'farewell ken'],
    );
    assert.equal(
      h.room('all-employees').messages.at(-1)?.content['body'],
      'Ken Thompson — Staff Engineer has left the company. Thank you for everything!',
    );
    assert.deepEqual(
      h.publishedOf('ChatAccountDeactivated').map((e) => e.data),
      [1, 2, 3].map(() => ({ agentId: 'ken', matrixUserId: '@agent-ken:fleet.test' })),
      'reported on every delivery: the directory waits for it',
    );
  });

  it('says goodbye once even when leaving fails after the farewell went out', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);
    h.fake.failNext('leave', new Error('connection reset'));

    await h.deliverExpectingFailure(h.event('AgentRetired', { agentId: 'sam' }));
    await h.retire('sam');

    assert.deepEqual(h.announcements('sales.platform-team'), ['welcome sam', 'farewell sam']);
    assert.equal(h.fake.users.get(h.userId('sam'))?.tokens.size, 0);
  });

  it('is remembered, so a hire or credentials arriving late do not bring the account back', async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    const hired = h.event('AgentHired', { agentId: 'mary', ...SMALL_ORG[6]![1] });
    const retired = h.event('AgentRetired', { agentId: 'mary' });

    await h.deliver(retired);
    await h.deliver(hired);
    await h.issue('mary');

    assert.equal(h.fake.users.has(h.userId('mary')), false);
    assert.deepEqual(
      h.publishedOf('ChatAccountDeactivated').map((e) => e.data.agentId),
      ['mary'],
    );
    assert.equal(h.publishedOf('ChatAccountReady').filter((e) => e.data.agentId === 'mary').length, 0);
  });

  it('is undone by a re-hire: the restored secret gets a fresh token, with a new welcome', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);
    await h.retire('sam');
    const retired = secretToken(h, 'sam');
    assert.equal(retired.owner, undefined, "the retired agent's token is dead");

    await h.deliver(h.event('AgentHired', { agentId: 'sam', ...SMALL_ORG[7]![1] }));
    assert.equal(h.fake.users.get(h.userId('sam'))?.tokens.size, 0, 'still waits for its secret');
    // The credentials service restores the same secret: its current version is the one the
    // bridge wrote before the retirement, holding a token that no longer works.
    await h.deliver(
      h.event('CredentialsIssued', {
        agentId: 'sam',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/sam-a1B2c3',
        restored: true,
      }),
    );

    const rehired = secretToken(h, 'sam');
    assert.notEqual(rehired.token, retired.token);
    assert.equal(rehired.owner, h.userId('sam'));
    assert.deepEqual(h.members('sales.platform-team'), ['sam']);
    assert.deepEqual(h.announcements('sales.platform-team'), ['welcome sam', 'farewell sam', 'welcome sam']);
    assert.equal(h.publishedOf('ChatAccountReady').filter((e) => e.data.agentId === 'sam').length, 2);
  });
});

describe('rotation', () => {
  it('ends every session and puts a new token into the new version, once however often told', async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    const old = secretToken(h, 'grace');
    const loggedOut = h.fake.users.get(h.userId('grace'))?.loggedOut ?? 0;

    const versionId = h.secrets.issue('grace');
    const rotated = h.event('CredentialsRotated', {
      agentId: 'grace',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
      versionId,
    });
    await h.deliver(rotated);
    await h.deliver(h.freshCopy(rotated));

    const now = secretToken(h, 'grace');
    assert.equal(h.fake.whoami(old.token ?? ''), undefined, 'the old token is dead');
    assert.equal(now.owner, h.userId('grace'));
    assert.equal(
      h.fake.users.get(h.userId('grace'))?.loggedOut,
      loggedOut + 1,
      'one logout, however often the event comes',
    );
  });

  it('takes no new sync position for an agent that is in its rooms already (ADR 0028)', async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    const positions = h.fake.calls.filter((c) => c === 'syncPosition').length;
    const versionId = h.secrets.issue('grace');
    await h.deliver(
      h.event('CredentialsRotated', {
        agentId: 'grace',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
        versionId,
      }),
    );
    assert.equal(h.fake.calls.filter((c) => c === 'syncPosition').length, positions);
    // A position taken now would be after messages sent to it: better none (it then starts fresh).
    assert.equal(h.secrets.currentOf('grace')?.value.matrix?.syncFrom, undefined);
  });

  it('builds on AWSCURRENT, not the version a late event names', async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    const older = h.secrets.issue('grace');
    const newest = h.secrets.issue('grace');

    await h.deliver(
      h.event('CredentialsRotated', {
        agentId: 'grace',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
        versionId: older,
      }),
    );
    assert.notEqual(h.secrets.currentOf('grace')?.versionId, older);
    assert.notEqual(h.secrets.currentOf('grace')?.versionId, newest, "the bridge's copy of it is current");
    assert.equal(secretToken(h, 'grace').owner, h.userId('grace'));
  });

  it('never overwrites a rotation written while it adds a token: it tries again on the new version', async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    const versionId = h.secrets.issue('grace');
    h.secrets.raceNextWrite('grace');
    const rotated = h.event('CredentialsRotated', {
      agentId: 'grace',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
      versionId,
    });
    await h.deliverExpectingFailure(rotated);
    await h.deliver(rotated, { receiveCount: 2 });
    assert.equal(secretToken(h, 'grace').owner, h.userId('grace'));
  });

  it('before the account exists waits: the account is made with whatever is current then', async () => {
    const h = bridgeHarness();
    h.secrets.issue('grace');
    const versionId = h.secrets.issue('grace');
    await h.deliver(
      h.event('CredentialsRotated', {
        agentId: 'grace',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
        versionId,
      }),
    );
    assert.equal(h.fake.users.size, 1, 'only the CEO');
    await h.deliver(h.event('AgentHired', { agentId: 'grace', ...SMALL_ORG[0]![1] }));
    await h.deliver(
      h.event('CredentialsIssued', {
        agentId: 'grace',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
        restored: false,
      }),
    );
    assert.equal(secretToken(h, 'grace').owner, h.userId('grace'));
  });
});
