import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialsHarness, hired } from '../support/harness.ts';

const NAME = 'ocf/test/agents/ada';

describe('on AgentRetired', () => {
  it("schedules the secret's deletion after the recovery window and publishes the date", async () => {
    const h = credentialsHarness({ recoveryWindowDays: 30 });
    await h.deliver(h.event('AgentHired', hired('ada')));
    const arn = h.store.secrets.get(NAME)?.arn;

    await h.deliver(h.event('AgentRetired', { agentId: 'ada', reason: 'Team reorganised' }));
    assert.equal(h.store.secrets.get(NAME)?.deletionDate?.toISOString(), '2026-12-25T10:00:00.000Z');
    assert.deepEqual(
      h.publishedOf('CredentialsRevoked').map((e) => e.data),
      [{ agentId: 'ada', secretArn: arn, deletionDate: '2026-12-25T10:00:00.000Z' }],
    );
  });

  it('reports the same deletion again on a duplicate, without a second DeleteSecret', async () => {
    const h = credentialsHarness();
    await h.deliver(h.event('AgentHired', hired('ada')));
    const retirement = h.event('AgentRetired', { agentId: 'ada' });
    await h.deliver(retirement);
    h.clock.now = new Date('2026-11-26T10:00:00.000Z');
    await h.deliver(retirement, { receiveCount: 2 });
    await h.deliver(h.event('AgentRetired', { agentId: 'ada' }));

    assert.equal(h.store.calls.filter((call) => call === 'scheduleDeletion').length, 1);
    const dates = h.publishedOf('CredentialsRevoked').map((e) => e.data.deletionDate);
    assert.deepEqual(dates, Array(3).fill('2026-12-02T10:00:00.000Z'));
  });

  it('recovers from a crash between scheduling the deletion and publishing', async () => {
    const h = credentialsHarness();
    await h.deliver(h.event('AgentHired', hired('ada')));
    const retirement = h.event('AgentRetired', { agentId: 'ada' });
    h.failPublishes(1);
    await h.deliverExpectingFailure(retirement);

    await h.deliver(retirement, { receiveCount: 2 });
    assert.equal(h.store.calls.filter((call) => call === 'scheduleDeletion').length, 1);
    assert.equal(h.publishedOf('CredentialsRevoked').length, 1);
  });

  it('finishes quietly when the agent has no secret: nothing to revoke, nothing to report', async () => {
    const h = credentialsHarness();
    await h.deliver(h.event('AgentRetired', { agentId: 'never-hired' }));

    assert.deepEqual(h.store.calls, ['describe']);
    assert.deepEqual(h.published, []);
    const entry = h.logger.entries.find((e) => e.message.startsWith('no secret to revoke'));
    assert.equal(entry?.attributes['secretName'], 'ocf/test/agents/never-hired');
  });
});
