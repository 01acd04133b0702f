import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bridgeHarness, hireSmallOrg, SMALL_ORG } from '../support/harness.ts';

const RND = 'research-and-development';

describe('retirement', () => {
  it('says goodbye once, takes the agent out of every room, and deactivates the account', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);

    const retired = h.event('AgentRetired', { agentId: 'ken' });
    await h.deliver(retired);
    await h.deliver(retired, { receiveCount: 2 });
    await h.deliver(h.freshCopy(retired));

    const ken = h.fake.users.get(h.userId('ken'));
    assert.equal(ken?.deactivated, true);
    assert.equal(ken.password, undefined, 'nothing of it can log in');
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
    assert.equal(h.fake.users.get(h.userId('sam'))?.deactivated, true);
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

  it('is undone by a re-hire: the restored secret reactivates the account, with a new welcome', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);
    await h.retire('sam');
    const retiredPassword = h.secrets.currentOf('sam')?.password.reveal();

    await h.deliver(h.event('AgentHired', { agentId: 'sam', ...SMALL_ORG[7]![1] }));
    assert.equal(h.fake.users.get(h.userId('sam'))?.deactivated, true, 'still waits for its secret');
    // The credentials service restores the same secret: same version, same password.
    await h.deliver(
      h.event('CredentialsIssued', {
        agentId: 'sam',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/sam-a1B2c3',
        restored: true,
      }),
    );

    const sam = h.fake.users.get(h.userId('sam'));
    assert.equal(sam?.deactivated, false);
    assert.equal(sam.password, retiredPassword);
    assert.deepEqual(h.members('sales.platform-team'), ['sam']);
    assert.deepEqual(h.announcements('sales.platform-team'), ['welcome sam', 'farewell sam', 'welcome sam']);
    assert.equal(h.publishedOf('ChatAccountReady').filter((e) => e.data.agentId === 'sam').length, 2);
  });
});

describe('rotation', () => {
  it('moves the account to the current password and ends every session on the old one', async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    const loggedOut = h.fake.users.get(h.userId('grace'))?.loggedOut ?? 0;

    const versionId = h.secrets.issue('grace', 'a-brand-new-password-of-at-least-32-chars');
    const rotated = h.event('CredentialsRotated', {
      agentId: 'grace',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
      versionId,
    });
    await h.deliver(rotated);
    await h.deliver(h.freshCopy(rotated));

    const grace = h.fake.users.get(h.userId('grace'));
    assert.equal(grace?.password, 'a-brand-new-password-of-at-least-32-chars');
    assert.equal(grace.loggedOut, loggedOut + 1, 'one logout, however often the event comes');
  });

  it('applies AWSCURRENT, not the version a late event names', async () => {
    const h = bridgeHarness();
    await h.hire('grace', SMALL_ORG[0]![1]);
    const older = h.secrets.issue('grace', 'second-password-that-is-long-enough-to-pass');
    h.secrets.issue('grace', 'third-password-that-is-also-long-enough-ok');

    await h.deliver(
      h.event('CredentialsRotated', {
        agentId: 'grace',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
        versionId: older,
      }),
    );
    assert.equal(h.fake.users.get(h.userId('grace'))?.password, 'third-password-that-is-also-long-enough-ok');
  });

  it('before the account exists waits: the account is made with whatever is current then', async () => {
    const h = bridgeHarness();
    h.secrets.issue('grace');
    const versionId = h.secrets.issue('grace', 'rotated-before-the-account-existed-long-one');
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
    assert.equal(
      h.fake.users.get(h.userId('grace'))?.password,
      'rotated-before-the-account-existed-long-one',
    );
  });
});
