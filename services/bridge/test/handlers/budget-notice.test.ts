import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bridgeHarness, CEO_USER_ID, hireSmallOrg } from '../support/harness.ts';

describe("budget notices to the agent's manager (ADR 0017)", () => {
  it('posts the soft-threshold notice in the manager↔agent room, mentioning the manager, once', async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);
    const before = h.room('dm.grace.ada').messages.length;
    const notice = h.event('AgentBudgetThresholdReached', {
      agentId: 'ada',
      managerId: 'grace',
      month: '2026-12',
      spentUsd: 40.12,
      budgetUsd: 50,
      thresholdPercent: 80,
    });
    await h.deliver(notice);
    await h.deliver(notice, { receiveCount: 2 });
    const sent = h.room('dm.grace.ada').messages.slice(before);
    assert.equal(sent.length, 1, 'a redelivery is the same message');
    const content = sent[0]?.content as {
      msgtype: string;
      body: string;
      'm.mentions': { user_ids: string[] };
    };
    assert.equal(content.msgtype, 'm.notice');
    assert.deepEqual(content['m.mentions'].user_ids, [h.userId('grace')]);
    assert.match(
      content.body,
      /has spent \$40\.12 of its \$50\.00 monthly model budget for 2026-12 \(80% reached\)/,
    );
    assert.ok(content.body.includes(h.userId('ada')));
  });

  it("tells the CEO when a VP's budget is spent", async () => {
    const h = bridgeHarness();
    await hireSmallOrg(h);
    const before = h.room('dm.ceo.grace').messages.length;
    await h.deliver(
      h.event('AgentBudgetExhausted', {
        agentId: 'grace',
        managerId: 'ceo',
        department: 'Research & Development',
        month: '2026-12',
        scope: 'agent',
        spentUsd: 50.03,
        budgetUsd: 50,
      }),
    );
    const [message] = h.room('dm.ceo.grace').messages.slice(before);
    const content = message?.content as { body: string; 'm.mentions': { user_ids: string[] } };
    assert.deepEqual(content['m.mentions'].user_ids, [CEO_USER_ID]);
    assert.match(content.body, /monthly model budget for 2026-12 is used up \(\$50\.03 of \$50\.00\)/);
  });

  it('retries while the two have no room yet', async () => {
    const h = bridgeHarness();
    await assert.rejects(
      h.deliver(
        h.event('AgentBudgetThresholdReached', {
          agentId: 'nobody',
          managerId: 'grace',
          month: '2026-12',
          spentUsd: 1,
          budgetUsd: 1.2,
          thresholdPercent: 80,
        }),
      ),
      (error: unknown) => (error as { retryable?: boolean }).retryable === true,
    );
  });
});
