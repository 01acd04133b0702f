import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AgentView } from '../../src/client.ts';
import { budgetValue, budgetView } from '../../src/commands/sleep-budget.ts';
import { style } from '../../src/output.ts';
import { ocf } from './support.ts';

const agent: AgentView = {
  agentId: 'ada',
  name: 'Ada',
  title: 'Engineer',
  level: 'ic',
  department: 'Engineering',
  manager: 'ceo',
  status: 'running',
  hiredAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  version: 3,
  monthlyBudgetUsd: 40,
  modelSpend: {
    month: '2026-12',
    costUsd: 10,
    calls: 12,
    tokensIn: 3400,
    tokensOut: 560,
    asOf: '2026-12-02T10:00:00.000Z',
    budget: 'ok',
  },
};

describe('sleep, wake and budget: parsing and output', () => {
  it('reads --set as dollars, or "none" for no budget of its own', () => {
    assert.equal(budgetValue('25'), 25);
    assert.equal(budgetValue('0.5'), 0.5);
    assert.equal(budgetValue('0'), 0);
    assert.equal(budgetValue('None'), 'none');
    for (const bad of ['-1', 'lots', '', '1e9', 'Infinity'])
      assert.throws(() => budgetValue(bad), /not a budget/, bad);
  });

  it('shows the budget, the spend against it and its state', () => {
    const text = budgetView(agent, style(false), false);
    assert.deepEqual(text.trimEnd().split('\n'), [
      'ada',
      '  budget      40.00 USD a month',
      '  month       2026-12',
      '  spent       10.00 USD (25.0%)',
      '  calls       12',
      '  tokens      3400 in, 560 out',
      '  state       ok',
      '  as of       2026-12-02T10:00:00.000Z',
    ]);
    const { monthlyBudgetUsd: _none, ...noBudget } = agent;
    const spent = budgetView(
      { ...noBudget, modelSpend: { ...agent.modelSpend!, budget: 'spent', spentScope: 'department' } },
      style(false),
      true,
    );
    assert.match(spent, /^ada {2}budget changed$/m);
    assert.match(spent, /budget {6}none of its own/);
    assert.match(spent, /state {7}spent \(the department's budget\): model calls refused/);
  });
});

describe('sleep, wake and budget: the requests they send', () => {
  const seen: { method: string; url: string; body: string; auth: string | undefined }[] = [];
  let url = '';
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        body,
        auth: request.headers.authorization,
      });
      response.setHeader('content-type', 'application/json');
      if (request.url?.startsWith('/v1/agents/nobody')) {
        response.statusCode = 404;
        response.end(JSON.stringify({ error: 'NOT_FOUND', message: 'no active agent "nobody"' }));
        return;
      }
      const action = /\/(sleep|wake)$/.exec(request.url ?? '')?.[1];
      if (action !== undefined) {
        response.statusCode = 202;
        response.end(JSON.stringify({ agentId: 'ada', [action]: 'requested' }));
        return;
      }
      const changes = body === '' ? {} : (JSON.parse(body) as { monthlyBudgetUsd?: number | null });
      const budget =
        changes.monthlyBudgetUsd === undefined ? agent.monthlyBudgetUsd : changes.monthlyBudgetUsd;
      response.end(
        JSON.stringify({
          ...agent,
          ...(budget === null ? { monthlyBudgetUsd: undefined } : { monthlyBudgetUsd: budget }),
        }),
      );
    });
  });
  before(async () => {
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
  });
  const as = () => ({ env: { OCF_DIRECTORY_URL: url, OCF_TOKEN: 'unit-token' } });

  it('sleep and wake POST to the agent and say what was requested', async () => {
    for (const action of ['sleep', 'wake']) {
      seen.length = 0;
      const result = await ocf([action, 'ada'], as());
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `ada: ${action} requested; follow it with: ocf status ada\n`);
      assert.deepEqual(
        seen.map((r) => [r.method, r.url, r.auth]),
        [['POST', `/v1/agents/ada/${action}`, 'Bearer unit-token']],
      );
    }
    const json = await ocf(['--json', 'sleep', 'ada'], as());
    assert.deepEqual(JSON.parse(json.stdout), { agentId: 'ada', sleep: 'requested' });
    const missing = await ocf(['wake', 'nobody'], as());
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no active agent "nobody"/);
  });

  it('budget reads the agent; --set PATCHes the budget (none: null) and shows the result', async () => {
    seen.length = 0;
    const read = await ocf(['--json', 'budget', 'ada'], as());
    assert.equal(read.code, 0, read.stderr);
    assert.deepEqual(JSON.parse(read.stdout), {
      agentId: 'ada',
      monthlyBudgetUsd: 40,
      modelSpend: agent.modelSpend,
    });
    const set = await ocf(['budget', 'ada', '--set', '75.5'], as());
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /budget {6}75\.50 USD a month/);
    const cleared = await ocf(['--json', 'budget', 'ada', '--set', 'none'], as());
    assert.equal((JSON.parse(cleared.stdout) as { monthlyBudgetUsd: unknown }).monthlyBudgetUsd, null);
    assert.deepEqual(
      seen.map((r) => [r.method, r.url, r.body]),
      [
        ['GET', '/v1/agents/ada', ''],
        ['PATCH', '/v1/agents/ada', '{"monthlyBudgetUsd":75.5}'],
        ['PATCH', '/v1/agents/ada', '{"monthlyBudgetUsd":null}'],
      ],
    );
  });
});
