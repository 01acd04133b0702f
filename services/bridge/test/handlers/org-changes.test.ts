import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bridgeHarness, hireSmallOrg } from '../support/harness.ts';

const RND = 'research-and-development';

describe('membership follows the org', () => {
  it('moves a transferred engineer to its new team and manager, with one farewell and one welcome', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);

    await h.update('dennis', { department: 'Sales', team: 'Platform', managerId: 'mary' });

    assert.deepEqual(h.members(`${RND}.platform-team`), ['ken', 'linus']);
    assert.deepEqual(h.members('sales.platform-team'), ['dennis', 'sam']);
    assert.deepEqual(h.members('dm.linus.dennis'), [], 'the old reporting line ended: both left');
    assert.deepEqual(h.members('dm.mary.dennis'), ['dennis', 'mary']);
    assert.deepEqual(h.fake.users.get(h.userId('mary'))?.direct[h.userId('dennis')], [
      h.room('dm.mary.dennis').roomId,
    ]);
    assert.deepEqual(h.announcements(`${RND}.platform-team`).slice(-1), ['farewell dennis']);
    assert.equal(
      h.room(`${RND}.platform-team`).messages.at(-1)?.content['body'],
      'Dennis Ritchie — Senior Engineer has moved on from the Platform team. Good luck!',
    );
    assert.deepEqual(h.announcements('sales.platform-team'), ['welcome sam', 'welcome dennis']);
    assert.equal(
      h.announcements('all-employees').filter((a) => a.endsWith('dennis')).length,
      1,
      'still one of the company: no second welcome',
    );
  });

  it('renames a promoted agent and seats it in its department leadership', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);

    await h.update('linus', { level: 'director', title: 'Director of Kernels', team: null });

    assert.equal(h.displayNameOf('linus'), 'Linus Torvalds — Director of Kernels');
    assert.deepEqual(h.members(`${RND}-leadership`), ['ada', 'alan', 'grace', 'linus']);
    assert.deepEqual(h.members(`${RND}.platform-team`), ['dennis', 'ken']);
    // Its reports keep their direct rooms with it: the reporting lines did not change.
    assert.deepEqual(h.members('dm.linus.ken'), ['ken', 'linus']);
  });

  it('applies the latest of two updates whatever order they arrive in', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);
    const first = h.event('AgentUpdated', { agentId: 'ken', changes: { team: 'Kernel' }, previous: {} });
    const second = h.event('AgentUpdated', { agentId: 'ken', changes: { team: 'Compilers' }, previous: {} });

    await h.deliver(second);
    await h.deliver(first);

    assert.deepEqual(h.members(`${RND}.compilers-team`), ['ken']);
    assert.equal(
      h.fake.roomByAlias(h.naming.alias(`${RND}.kernel-team`)),
      undefined,
      'the stale update made nothing',
    );
  });
});
