import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HomeserverError, type Homeserver } from '../../src/ports.ts';
import { bridgeHarness, SMALL_ORG } from '../support/harness.ts';

const grace = SMALL_ORG[0]![1];
const forbidden = () =>
  new HomeserverError('join failed: 403 M_FORBIDDEN: not allowed', {
    retryable: false,
    errcode: 'M_FORBIDDEN',
    status: 403,
  });

describe('when the homeserver fails', () => {
  it('retries quietly while the consumer has deliveries left', async () => {
    const h = bridgeHarness({ maxAttempts: 3 });
    await h.deliver(h.event('AgentHired', { agentId: 'grace', ...grace }));
    h.secrets.issue('grace');
    const issued = h.event('CredentialsIssued', {
      agentId: 'grace',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
      restored: false,
    });
    h.fake.down = true;

    const error = await h.deliverExpectingFailure(issued, { receiveCount: 1 });
    assert.ok(error instanceof HomeserverError);
    assert.equal(error.retryable, true);
    assert.equal(h.published.length, 0);
    assert.equal(h.store.parkedAgents.size, 0);
  });

  it('parks the agent at the last delivery, and the sweeper finishes once the homeserver is back', async () => {
    const h = bridgeHarness({ maxAttempts: 3 });
    await h.deliver(h.event('AgentHired', { agentId: 'grace', ...grace }));
    h.secrets.issue('grace');
    const issued = h.event('CredentialsIssued', {
      agentId: 'grace',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
      restored: false,
    });
    h.fake.down = true;

    await h.deliver(issued, { receiveCount: 3 });
    assert.deepEqual([...h.store.parkedAgents.keys()], ['grace'], 'the delivery succeeded by parking');
    assert.equal(h.published.length, 0, 'no CascadeStepFailed: an outage delays, it does not fail');

    assert.equal(await h.sweep(), 0, 'still down: stays parked');
    assert.equal(h.store.parkedAgents.size, 1);

    h.fake.down = false;
    assert.equal(await h.sweep(), 1);
    assert.equal(h.store.parkedAgents.size, 0);
    const [ready] = h.publishedOf('ChatAccountReady');
    assert.deepEqual(ready?.data, { agentId: 'grace', matrixUserId: h.userId('grace') });
    assert.equal(ready.metadata.correlationId, issued.metadata.correlationId, 'joins the same cascade');
    assert.equal(ready.metadata.causationId, issued.metadata.eventId);
    assert.deepEqual(h.members('all-employees'), ['grace']);
  });

  it('reports the step failed when the homeserver stays down longer than an agent may stay parked', async () => {
    const h = bridgeHarness({ maxAttempts: 1 });
    await h.deliver(h.event('AgentHired', { agentId: 'grace', ...grace }));
    h.secrets.issue('grace');
    h.fake.down = true;
    await h.deliver(
      h.event('CredentialsIssued', {
        agentId: 'grace',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
        restored: false,
      }),
    );

    h.clock.now += 25 * 3600 * 1000;
    await h.sweep();
    const [failed, ...more] = h.publishedOf('CascadeStepFailed');
    assert.equal(more.length, 0);
    assert.equal(failed?.data.step, 'chat-account');
    assert.match(failed.data.reason, /^parked since .*no answer from the homeserver/);
    assert.equal(h.store.parkedAgents.size, 0);
  });

  it('gives up at once on a refusal, with the reason, and the consumer dead-letters the event', async () => {
    const h = bridgeHarness();
    h.fake.failNext('join', forbidden());

    await h.deliver(h.event('AgentHired', { agentId: 'grace', ...grace }));
    h.secrets.issue('grace');
    const error = await h.deliverExpectingFailure(
      h.event('CredentialsIssued', {
        agentId: 'grace',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
        restored: false,
      }),
    );

    assert.ok(error instanceof HomeserverError);
    assert.equal(error.retryable, false);
    assert.deepEqual(
      h.publishedOf('CascadeStepFailed').map((e) => e.data),
      [{ agentId: 'grace', step: 'chat-account', reason: error.message }],
    );
    assert.equal(h.store.parkedAgents.size, 0);
  });

  it('announces once when the process dies between sending a welcome and noting it', async () => {
    const h = bridgeHarness();
    await h.deliver(h.event('AgentHired', { agentId: 'grace', ...grace }));
    h.secrets.issue('grace');
    const issued = h.event('CredentialsIssued', {
      agentId: 'grace',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
      restored: false,
    });
    // A stay is written when placed, then again once its welcome went out: die before the second.
    let died = false;
    const putStay = h.store.putStay.bind(h.store);
    h.store.putStay = async (agentId, stay) => {
      if (stay.welcomed && !died) {
        died = true;
        throw new Error('the process died here');
      }
      return putStay(agentId, stay);
    };

    await h.deliverExpectingFailure(issued);
    await h.deliver(issued, { receiveCount: 2 });

    assert.deepEqual(h.announcements('all-employees'), ['welcome grace']);
    assert.equal(
      h.fake.calls.filter((call) => call === 'send').length,
      2,
      'sent again, as the same transaction',
    );
  });

  it('finds the room another worker created between its look and its create', async () => {
    let staleLooks = 1;
    const h = bridgeHarness({
      homeserver: (fake): Homeserver => ({
        ...fake,
        resolveAlias: async (alias) => {
          if (alias.includes('all-employees') && staleLooks-- > 0) {
            // Meanwhile, someone else makes the room under this alias.
            await fake.createRoom({
              aliasLocalpart: 'org-all-employees',
              name: 'All employees',
              topic: '',
              invite: [],
              agents: [],
              isDirect: false,
              roomVersion: '12',
              powerLevels: {},
            });
            return undefined;
          }
          return fake.resolveAlias(alias);
        },
      }),
    });
    await h.hire('grace', grace);
    assert.equal(
      [...h.fake.rooms.values()].filter((r) => r.creation.aliasLocalpart === 'org-all-employees').length,
      1,
    );
    assert.deepEqual(h.members('all-employees'), ['grace']);
  });

  it('keeps two workers from acting for the same agent at once', async () => {
    const h = bridgeHarness();
    await h.store.acquireLock('grace', 'another-worker', 30_000);
    const error = await h.deliverExpectingFailure(h.event('AgentHired', { agentId: 'grace', ...grace }));
    assert.equal((error as { code?: string }).code, 'AGENT_BUSY');
    assert.equal((error as { retryable?: boolean }).retryable, true);

    h.clock.now += 31_000; // the other worker died; its lease ran out
    await h.deliver(h.event('AgentHired', { agentId: 'grace', ...grace }));
  });

  it('reports a lost publish as worth a retry, and the retry reports again without redoing anything', async () => {
    const h = bridgeHarness();
    await h.deliver(h.event('AgentHired', { agentId: 'grace', ...grace }));
    h.secrets.issue('grace');
    const issued = h.event('CredentialsIssued', {
      agentId: 'grace',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
      restored: false,
    });
    h.failPublishes(1);
    const error = await h.deliverExpectingFailure(issued);
    assert.equal((error as { retryable?: boolean }).retryable, true);
    const calls = h.fake.calls.length;

    await h.deliver(issued, { receiveCount: 2 });
    assert.equal(h.publishedOf('ChatAccountReady').length, 1);
    assert.deepEqual(
      h.fake.calls
        .slice(calls)
        .filter((call) => !['account', 'resolveAlias', 'membership', 'markDirect'].includes(call)),
      [],
      'the retry only looked',
    );
  });
});

describe('when another worker is still creating a room', () => {
  /** Synapse answers for the alias before the bot has joined the new room behind it. */
  function botJoinsLate(polls: number) {
    let early = polls;
    return (fake: Homeserver): Homeserver => ({
      ...fake,
      membership: async (roomId, userId) => {
        if (userId === fake.botUserId && early-- > 0) {
          throw new HomeserverError(`User ${userId} not in room ${roomId}`, {
            retryable: false,
            errcode: 'M_FORBIDDEN',
            status: 403,
          });
        }
        return fake.membership(roomId, userId);
      },
    });
  }

  it('waits until the bot is in the room it found by its alias', async () => {
    const h = bridgeHarness({ homeserver: botJoinsLate(3) });
    await h.fake.createRoom({
      aliasLocalpart: 'org-all-employees',
      name: 'All employees',
      topic: '',
      invite: [],
      agents: [],
      isDirect: false,
      roomVersion: '12',
      powerLevels: {},
    });
    await h.hire('grace', grace);
    assert.deepEqual(h.members('all-employees'), ['grace']);
  });

  it('fails the step at once, naming the alias, if the bot never gets in (someone else took it)', async () => {
    const h = bridgeHarness({ homeserver: botJoinsLate(1_000) });
    await h.fake.createRoom({
      aliasLocalpart: 'org-all-employees',
      name: 'Squatted',
      topic: '',
      invite: [],
      agents: [],
      isDirect: false,
      roomVersion: '12',
      powerLevels: {},
    });
    await h.deliver(h.event('AgentHired', { agentId: 'grace', ...grace }));
    h.secrets.issue('grace');
    const error = await h.deliverExpectingFailure(
      h.event('CredentialsIssued', {
        agentId: 'grace',
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/grace-a1B2c3',
        restored: false,
      }),
    );
    assert.equal((error as { code?: string }).code, 'ROOM_ALIAS_TAKEN');
    assert.equal((error as { retryable?: boolean }).retryable, false, 'not parked: waiting frees nothing');
    const [failed, ...more] = h.publishedOf('CascadeStepFailed');
    assert.equal(more.length, 0);
    assert.equal(failed?.data.step, 'chat-account');
    assert.match(failed.data.reason, /room alias #org-all-employees:fleet\.test is taken/);
    assert.equal(h.publishedOf('ChatAccountReady').length, 0);
  });
});

describe("a manager's direct rooms", () => {
  it("are marked under the manager's lock, as two reports placed at once would overwrite each other", async () => {
    const h = bridgeHarness();
    await h.hire('mary', SMALL_ORG[6]![1]);
    await h.deliver(h.event('AgentHired', { agentId: 'sam', ...SMALL_ORG[7]![1] }));
    h.secrets.issue('sam');
    const issued = h.event('CredentialsIssued', {
      agentId: 'sam',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/sam-a1B2c3',
      restored: false,
    });
    await h.store.acquireLock('mary', 'a-worker-busy-with-mary', 60_000);

    const error = await h.deliverExpectingFailure(issued);
    assert.equal((error as { code?: string }).code, 'AGENT_BUSY');
    assert.equal(h.fake.users.get(h.userId('mary'))?.direct[h.userId('sam')], undefined);

    await h.store.releaseLock('mary', 'a-worker-busy-with-mary');
    await h.deliver(issued, { receiveCount: 2 });
    assert.deepEqual(h.fake.users.get(h.userId('mary'))?.direct[h.userId('sam')], [
      h.room('dm.mary.sam').roomId,
    ]);
  });
});
