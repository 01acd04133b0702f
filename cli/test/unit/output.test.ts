import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { colourWanted, json, style, table, terminalSafe } from '../../src/output.ts';
import { agentTable, statusView } from '../../src/commands/agents.ts';
import { planText } from '../../src/commands/org.ts';
import type { AgentView } from '../../src/client.ts';

const agent: AgentView = {
  agentId: 'ada-lovelace',
  name: 'Ada Lovelace',
  title: 'Staff Engineer',
  level: 'ic',
  department: 'Engineering',
  team: 'Platform',
  manager: 'alan-turing',
  status: 'running',
  hiredAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:05.000Z',
  steps: [
    { phase: 'hire', step: 'credentials', state: 'done', at: '2026-12-02T10:00:01.000Z' },
    { phase: 'hire', step: 'chat-account', state: 'done', at: '2026-12-02T10:00:02.000Z' },
    { phase: 'hire', step: 'task', state: 'failed', at: '2026-12-02T10:00:03.000Z', error: 'no capacity' },
  ],
  version: 4,
};

describe('output', () => {
  it('never lets a control character or a bidi override through', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        assert.doesNotMatch(terminalSafe(text), /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u);
      }),
      { numRuns: 300 },
    );
    assert.equal(terminalSafe('a\u001b[2Jb\u0007\u009b\u202e'), 'a\\x1b[2Jb\\x07\\u009b\\u202e');
  });

  it('escapes C1 and bidi in JSON too, as JSON escapes (the same document)', () => {
    const text = json({ name: 'x\u009b\u202ey\u001b' });
    for (const c of ['\u009b', '\u202e', '\u001b']) assert.ok(!text.includes(c));
    assert.deepEqual(JSON.parse(text), { name: 'x\u009b\u202ey\u001b' });
  });

  it('lines tables up and escapes every cell', () => {
    const evil = { ...agent, agentId: 'eve', name: 'Eve\u001b]0;pwned\u0007', status: 'hired' };
    const text = agentTable([agent, evil], style(false));
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? '', /^ID\s+NAME\s+TITLE\s+LEVEL\s+DEPARTMENT\s+TEAM\s+MANAGER\s+STATUS$/);
    assert.ok(text.includes('Eve\\x1b]0;pwned\\x07'));
    assert.ok(!text.includes('\u001b'));
    // STATUS starts at the same column on every line.
    const at = lines.map((line, i) =>
      i === 0 ? line.indexOf('STATUS') : line.lastIndexOf(i === 1 ? 'running' : 'hired'),
    );
    assert.equal(new Set(at).size, 1, JSON.stringify(at));
  });

  it('colours only when asked, and pads before colouring', () => {
    const coloured = table(
      [{ a: 'x' }],
      [{ header: 'A', value: (r) => r.a, colour: (t) => style(true).red(t) }],
      style(true),
    );
    assert.ok(coloured.includes('\u001b[31mx\u001b[39m'));
    assert.ok(!table([{ a: 'x' }], [{ header: 'A', value: (r) => r.a }], style(false)).includes('\u001b'));
  });

  it('wants colour on a terminal only, and never with NO_COLOR or TERM=dumb', () => {
    assert.equal(colourWanted(true, {}), true);
    assert.equal(colourWanted(false, {}), false);
    assert.equal(colourWanted(undefined, {}), false);
    assert.equal(colourWanted(true, { NO_COLOR: '1' }), false);
    assert.equal(colourWanted(true, { NO_COLOR: '' }), true);
    assert.equal(colourWanted(true, { TERM: 'dumb' }), false);
  });

  it('shows every cascade step with its time, and the failure', () => {
    const text = statusView(agent, style(false));
    assert.match(text, /hire\s+credentials\s+done\s+2026-12-02T10:00:01.000Z/);
    assert.match(text, /hire\s+task\s+failed\s+2026-12-02T10:00:03.000Z\s+no capacity/);
    assert.match(text, /department\s+Engineering \/ Platform/);
  });

  it('shows when it was last active, how often it was woken and restarted, and why the last time', () => {
    const quiet = statusView(agent, style(false));
    assert.doesNotMatch(quiet, /active|restarts/, 'nothing to say for an agent with neither');
    const text = statusView(
      {
        ...agent,
        status: 'asleep',
        wakePolicy: 'on-demand',
        wakes: { count: 3, lastAt: '2026-12-02T11:00:00.000Z' },
        lastActiveAt: '2026-12-02T11:05:00.000Z',
        restarts: { count: 2, lastAt: '2026-12-02T10:30:00.000Z', lastReason: 'exited 1\u001b[2J' },
      },
      style(false),
    );
    assert.match(text, /wake\s+on-demand; woken 3x/);
    assert.match(text, /active\s+last at 2026-12-02T11:05:00.000Z/);
    assert.match(text, /restarts\s+2, last at 2026-12-02T10:30:00.000Z \(exited 1\\x1b\[2J\)/);
  });

  it('prints a plan one change a line, marked by what it does', () => {
    const text = planText(
      {
        changes: [
          {
            action: 'hire',
            agentId: 'new-one',
            position: {
              name: 'New One',
              title: 'Engineer',
              level: 'ic',
              department: 'Eng',
              team: null,
              manager: 'boss',
            },
          },
          {
            action: 'update',
            agentId: 'mover',
            kinds: ['move'],
            changes: { manager: 'b' },
            previous: { manager: 'a' },
          },
          { action: 'retire', agentId: 'leaver' },
        ],
        summary: { hire: 1, update: 1, retire: 1, unchanged: 7, notInFile: 0 },
        blocked: [],
      },
      style(false),
      true,
    );
    assert.deepEqual(text.trimEnd().split('\n'), [
      'Plan: 1 to hire, 1 to update, 1 to retire (7 unchanged).',
      '  + hire      new-one: New One, Engineer (ic, Eng) -> boss',
      '  ~ move      mover: manager: a -> b',
      '  - retire    leaver',
    ]);
  });

  it('prints settings changes, and a setting put back to the default as "-"', () => {
    const text = planText(
      {
        changes: [
          {
            action: 'update',
            agentId: 'sleeper',
            kinds: ['wake', 'budget'],
            changes: { wakePolicy: 'on-demand', monthlyBudgetUsd: null },
            previous: { wakePolicy: null, monthlyBudgetUsd: 30 },
          },
        ],
        summary: { hire: 0, update: 1, retire: 0, unchanged: 2, notInFile: 0 },
        blocked: [],
      },
      style(false),
      false,
    );
    assert.deepEqual(text.trimEnd().split('\n'), [
      'Plan: 0 to hire, 1 to update, 0 to retire (2 unchanged).',
      '  ~ wake, budget sleeper: wakePolicy: - -> on-demand; monthlyBudgetUsd: 30 -> -',
    ]);
  });
});
