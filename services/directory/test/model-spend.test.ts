import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent, type FleetEvent } from '@ocf/events';
import { applySpendEvent, budgetState } from '../src/domain/spend.ts';
import { ic, testDirectory, vp } from './helpers.ts';

const month = new Date().toISOString().slice(0, 7);

function fromGateway<T extends 'ModelUsageReported' | 'AgentBudgetExhausted'>(
  type: T,
  data: Parameters<typeof createEvent<T>>[1],
): FleetEvent<T> {
  return { ...createEvent(type, data), source: 'ocf.model-gateway' };
}

const usage = (costUsd: number, asOf: string, calls = 1) =>
  fromGateway('ModelUsageReported', {
    agentId: 'ada-lovelace',
    department: 'Engineering',
    month,
    calls,
    tokensIn: 100 * calls,
    tokensOut: 10 * calls,
    costUsd,
    asOf,
  });

describe('model budgets in the directory (ADR 0017)', () => {
  it('takes monthlyBudgetUsd at hire and by PATCH (null removes it), and says so in AgentUpdated', async () => {
    const d = await testDirectory();
    await d.hire(vp);
    assert.equal((await d.hire({ ...ic, manager: vp.agentId, monthlyBudgetUsd: 25 })).statusCode, 202);
    const hired = d.publisher.published.find((e) => e.type === 'AgentHired' && e.data.agentId === ic.agentId);
    assert.equal((hired?.data as { monthlyBudgetUsd?: number }).monthlyBudgetUsd, 25);

    const raised = await d.app.inject({
      method: 'PATCH',
      url: `/v1/agents/${ic.agentId}`,
      headers: d.auth,
      payload: { monthlyBudgetUsd: 40 },
    });
    assert.equal(raised.statusCode, 200, raised.body);
    assert.equal(raised.json<{ monthlyBudgetUsd: number }>().monthlyBudgetUsd, 40);
    const removed = await d.app.inject({
      method: 'PATCH',
      url: `/v1/agents/${ic.agentId}`,
      headers: d.auth,
      payload: { monthlyBudgetUsd: null },
    });
    assert.equal(removed.statusCode, 200);
    assert.equal('monthlyBudgetUsd' in removed.json<object>(), false);
    const updates = d.publisher.published.filter((e) => e.type === 'AgentUpdated').map((e) => e.data);
    assert.deepEqual(updates, [
      { agentId: ic.agentId, changes: { monthlyBudgetUsd: 40 }, previous: { monthlyBudgetUsd: 25 } },
      { agentId: ic.agentId, changes: { monthlyBudgetUsd: null }, previous: { monthlyBudgetUsd: 40 } },
    ]);

    const negative = await d.app.inject({
      method: 'PATCH',
      url: `/v1/agents/${ic.agentId}`,
      headers: d.auth,
      payload: { monthlyBudgetUsd: -1 },
    });
    assert.equal(negative.statusCode, 400);
    assert.match(negative.body, /body\.monthlyBudgetUsd/);
  });

  it("shows the gateway's latest report and where it stands, and sums spend per department", async () => {
    const d = await testDirectory();
    await d.hire(vp);
    await d.hire({ ...ic, manager: vp.agentId, monthlyBudgetUsd: 1 });
    await d.directory.project(usage(0.5, '2026-12-02T10:00:01.000Z'));
    await d.directory.project(usage(0.85, '2026-12-02T10:00:03.000Z', 3));
    await d.directory.project(usage(0.6, '2026-12-02T10:00:02.000Z', 2)); // late: changes nothing
    const view = (
      await d.app.inject({ method: 'GET', url: `/v1/agents/${ic.agentId}`, headers: d.auth })
    ).json<{
      modelSpend: { costUsd: number; calls: number; budget: string };
    }>();
    assert.deepEqual(
      [view.modelSpend.costUsd, view.modelSpend.calls, view.modelSpend.budget],
      [0.85, 3, 'near-limit'],
    );
    const spend = (await d.app.inject({ method: 'GET', url: '/v1/spend', headers: d.readAuth })).json<{
      departments: { department: string; costUsd: number; agents: number }[];
    }>();
    assert.deepEqual(spend.departments, [
      { department: 'Engineering', costUsd: 0.85, calls: 3, tokensIn: 300, tokensOut: 30, agents: 1 },
    ]);
  });

  it('is spent by its own numbers (a raised budget shows at once), or by a department or fleet limit', () => {
    const spent = applySpendEvent(undefined, usage(1.2, '2026-12-02T10:00:00.000Z'));
    assert.deepEqual(budgetState(spent, 1, month), { state: 'spent', spentScope: 'agent' });
    assert.deepEqual(budgetState(spent, 5, month), { state: 'ok' });
    assert.deepEqual(budgetState(spent, undefined, month), { state: 'none' });
    const department = applySpendEvent(
      spent,
      fromGateway('AgentBudgetExhausted', {
        agentId: 'ada-lovelace',
        managerId: 'grace-hopper',
        department: 'Engineering',
        month,
        scope: 'department',
        spentUsd: 500,
        budgetUsd: 500,
      }),
    );
    assert.deepEqual(budgetState(department, 5, month), { state: 'spent', spentScope: 'department' });
    assert.deepEqual(budgetState(department, 5, '2099-01'), { state: 'ok' }, 'a new month starts afresh');
  });
});
