import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyAgent,
  buildTree,
  fieldErrors,
  refusalErrors,
  figures,
  managersOf,
  NO_FILTER,
  visibleRows,
  type Agent,
} from '../src/app/model.ts';

function agent(agentId: string, manager: string, extra: Partial<Agent> = {}): Agent {
  return {
    agentId,
    name: agentId.toUpperCase(),
    title: 'Engineer',
    level: 'ic',
    department: 'Engineering',
    manager,
    status: 'running',
    hiredAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    steps: [],
    version: 1,
    ...extra,
  };
}

/** A company: ceo -> vp -> (m1 -> ic1, ic2), (m2 -> ic3). */
function company(): Map<string, Agent> {
  const agents = new Map<string, Agent>();
  for (const a of [
    agent('vp', 'ceo', { level: 'vp' }),
    agent('m1', 'vp', { level: 'manager', team: 'Platform' }),
    agent('m2', 'vp', { level: 'manager', team: 'Growth', department: 'Sales' }),
    agent('ic1', 'm1', { team: 'Platform' }),
    agent('ic2', 'm1', {
      team: 'Platform',
      status: 'failed',
      steps: [{ phase: 'hire', step: 'task', state: 'failed', error: 'no capacity' }],
    }),
    agent('ic3', 'm2', { team: 'Growth', department: 'Sales', status: 'asleep' }),
  ])
    agents.set(a.agentId, a);
  return agents;
}

const ids = (rows: ReturnType<typeof visibleRows>) =>
  rows.map((row) => `${'-'.repeat(row.depth)}${row.agent.agentId}`);

describe('the console model', () => {
  it('keeps the newer of two views of an agent', () => {
    const agents = new Map<string, Agent>();
    assert.equal(applyAgent(agents, agent('a', 'ceo', { version: 2, status: 'running' })), true);
    assert.equal(applyAgent(agents, agent('a', 'ceo', { version: 1, status: 'hired' })), false);
    assert.equal(agents.get('a')?.status, 'running');
  });

  it('starts from the human CEO, and shows a subtree only when its manager is opened', () => {
    const tree = buildTree(company());
    const closed = visibleRows(tree, new Set(), NO_FILTER);
    assert.deepEqual(ids(closed), ['-ceo']);
    assert.equal(closed[0]?.ceo, true, 'the root row is the CEO, a person');
    assert.equal(closed[0].hasReports, true);
    assert.deepEqual(ids(visibleRows(tree, new Set(['ceo']), NO_FILTER)), ['-ceo', '--vp']);
    assert.deepEqual(ids(visibleRows(tree, new Set(['ceo', 'vp', 'm1']), NO_FILTER)), [
      '-ceo',
      '--vp',
      '---m1',
      '----ic1',
      '----ic2',
      '---m2',
    ]);
  });

  it('shows a match with the managers above it, opened, and nothing else', () => {
    const tree = buildTree(company());
    const rows = visibleRows(tree, new Set(), { ...NO_FILTER, query: 'IC3' });
    assert.deepEqual(ids(rows), ['-ceo', '--vp', '---m2', '----ic3']);
    assert.deepEqual(
      rows.map((r) => r.match),
      [false, false, false, true],
    );
    assert.deepEqual(ids(visibleRows(tree, new Set(), { ...NO_FILTER, department: 'Sales' })), [
      '-ceo',
      '--vp',
      '---m2',
      '----ic3',
    ]);
    assert.deepEqual(ids(visibleRows(tree, new Set(), { ...NO_FILTER, status: 'nothing' })), ['-ceo']);
  });

  it('leaves retired agents out unless asked, and hangs agents with an unknown manager at the top', () => {
    const agents = company();
    agents.set('gone', agent('gone', 'vp', { status: 'retired' }));
    agents.set('lost', agent('lost', 'nobody'));
    const tree = buildTree(agents);
    assert.deepEqual(ids(visibleRows(tree, new Set(['ceo', 'vp']), NO_FILTER)), [
      '-ceo',
      '--vp',
      '---m1',
      '---m2',
      '-lost',
    ]);
    assert.ok(buildTree(agents, { withRetired: true }).agents.has('gone'));
    assert.deepEqual(managersOf(tree, 'ic1'), ['m1', 'vp', 'ceo']);
    assert.deepEqual(managersOf(tree, 'lost'), []);
  });

  it('opens 1,000 agents lazily: rows only for what is expanded', () => {
    const agents = new Map<string, Agent>();
    agents.set('vp', agent('vp', 'ceo'));
    for (let m = 0; m < 10; m++) {
      agents.set(`m${m}`, agent(`m${m}`, 'vp'));
      for (let i = 0; i < 99; i++) agents.set(`m${m}-ic${i}`, agent(`m${m}-ic${i}`, `m${m}`));
    }
    const tree = buildTree(agents);
    assert.equal(visibleRows(tree, new Set(['ceo', 'vp']), NO_FILTER).length, 12);
    assert.equal(visibleRows(tree, new Set(['ceo', 'vp', 'm3']), NO_FILTER).length, 111);
  });

  it('counts the fleet: by status, hires under way, and failures with their reasons', () => {
    const agents = company();
    agents.set('new', agent('new', 'vp', { status: 'launching' }));
    agents.set(
      'loop',
      agent('loop', 'vp', {
        status: 'crash-looping',
        health: { state: 'crash-looping', at: '2026-01-01T00:00:00.000Z', detail: 'exit code 1' },
      }),
    );
    // A retirement whose step failed stays `retiring`: someone has to look at it too.
    agents.set(
      'stuck',
      agent('stuck', 'vp', {
        status: 'retiring',
        steps: [{ phase: 'retire', step: 'memory', state: 'failed', error: 'archive refused' }],
      }),
    );
    const stats = figures(agents.values());
    assert.equal(stats.total, 9);
    assert.equal(stats.inProgress, 1);
    assert.equal(stats.asleep, 1);
    assert.equal(stats.crashLoops, 1);
    assert.equal(stats.failedSteps, 2);
    assert.equal(stats.byStatus.get('running'), 4);
    assert.deepEqual(
      stats.attention.map((a) => [a.agent.agentId, a.reason]),
      [
        ['ic2', 'task failed: no capacity'],
        ['loop', 'exit code 1'],
        ['stuck', 'retirement: memory failed: archive refused'],
      ],
    );
  });

  it("reads the API's 400 into one error per field", () => {
    assert.deepEqual(
      fieldErrors({
        error: 'VALIDATION_FAILED',
        field: 'body.name',
        message: 'body.name: Invalid input: expected string, received undefined; body.level: Invalid option',
      }),
      [
        { field: 'name', message: 'body.name: Invalid input: expected string, received undefined' },
        { field: 'level', message: 'body.level: Invalid option' },
      ],
    );
    assert.deepEqual(fieldErrors({ field: 'body.manager', message: 'no agent "x" to report to' }), [
      { field: 'manager', message: 'no agent "x" to report to' },
    ]);
    assert.deepEqual(fieldErrors({ message: 'body must be a JSON object', field: 'body' }), [
      { field: 'form', message: 'body must be a JSON object' },
    ]);
    // The issues list wins: every field it names, even one whose message does not start with it.
    assert.deepEqual(
      fieldErrors({
        field: 'body.title',
        message: 'body.title: Required; a level vp cannot report to "x"',
        issues: [
          { field: 'body.title', message: 'body.title: Required' },
          { field: 'body.level', message: 'a level vp cannot report to "x"; pick another manager' },
          { field: 'body.skills.0', message: 'body.skills.0: Too long' },
        ],
      }),
      [
        { field: 'title', message: 'body.title: Required' },
        { field: 'level', message: 'a level vp cannot report to "x"; pick another manager' },
        { field: 'skills', message: 'body.skills.0: Too long' },
      ],
    );
  });

  it("shows any other refusal as one error for the whole form, in the API's words when it has some", () => {
    assert.deepEqual(
      refusalErrors({ status: 400, body: { field: 'body.level', message: 'body.level: Invalid' } }),
      [{ field: 'level', message: 'body.level: Invalid' }],
    );
    assert.deepEqual(refusalErrors({ status: 409, body: { message: 'agent "x" is retiring' } }), [
      { field: 'form', message: 'agent "x" is retiring' },
    ]);
    assert.deepEqual(refusalErrors({ status: 503, body: {} }), [{ field: 'form', message: 'refused (503)' }]);
  });
});
