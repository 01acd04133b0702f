import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentLines, statusLine, type AgentSummary } from '../src/fleet-status.ts';

// Anything a terminal acts on: C0, DEL, C1, and the bidirectional overrides and isolates.
const UNSAFE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

describe('fleet status lines', () => {
  // Stored before the API refused control characters: the directory returns them as they are.
  const stored: AgentSummary[] = [
    {
      agentId: 'ada\u001b[31m',
      status: 'running\u0007',
      title: '\u001b]8;;https://evil.example\u001b\\Staff Engineer\u001b]8;;\u001b\\',
      health: { state: 'running', detail: 'exit \u009b2J' },
    },
    { agentId: 'grace', status: 'hired', title: 'VP\u0085Engineering' },
  ];

  it('print stored names, titles, statuses and details with their control characters escaped', () => {
    const lines = [statusLine(stored), ...agentLines(stored)];
    for (const line of lines) assert.doesNotMatch(line, UNSAFE, line);
    assert.match(lines[1] ?? '', /ada\\x1b\[31m/);
    assert.match(lines[1] ?? '', /\\x1b\]8;;https:\/\/evil\.example\\x1b\\Staff Engineer/);
    assert.match(lines[1] ?? '', /\(exit \\u009b2J\)/);
    assert.match(lines[2] ?? '', /VP\\u0085Engineering/);
    assert.match(lines[0] ?? '', /running\\x07 1/);
  });

  it('keep the columns aligned on the escaped text', () => {
    const [first, second] = agentLines(stored);
    assert.equal(first?.indexOf('running'), second?.indexOf('hired'));
  });
});

describe('sleep in the status display (ADR 0019)', () => {
  it('lists asleep after running, and shows how often an agent was woken', () => {
    const agents: AgentSummary[] = [
      { agentId: 'ada', status: 'asleep', wakes: { count: 3, lastAt: '2026-12-02T10:00:00.000Z' } },
      { agentId: 'bob', status: 'running' },
    ];
    assert.equal(statusLine(agents), '2 agents: running 1, asleep 1');
    const [ada, bob] = agentLines(agents);
    assert.match(ada ?? '', /asleep .*woken 3x, last 2026-12-02T10:00:00.000Z$/);
    assert.doesNotMatch(bob ?? '', /woken/);
  });
});
