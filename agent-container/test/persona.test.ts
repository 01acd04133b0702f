import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { LEVELS, loadTemplates, renderPersona, fill, type Templates } from '../src/persona/persona.ts';
import type { Person } from '../src/org/people.ts';

// The nine departments of the sample company (services/directory/src/sample/sample-company.ts),
// the Chief of Staff's office, and one the templates do not know.
const DEPARTMENTS = [
  'Engineering',
  'Product',
  'Design',
  'Sales',
  'Marketing',
  'Customer Success',
  'Finance',
  'Legal',
  'People',
  'Office of the CEO',
  'Research & Development',
];

const person = (fields: Partial<Person>): Person => ({
  agentId: 'ada',
  name: 'Ada Lovelace',
  title: 'Staff Engineer',
  level: 'ic',
  department: 'Engineering',
  team: 'Platform',
  manager: 'grace',
  status: 'running',
  ...fields,
});

describe('persona files', () => {
  let templates: Templates;
  before(async () => {
    templates = await loadTemplates(resolve(import.meta.dirname, '../templates'));
  });

  it('render for every level and department, with no placeholder left', () => {
    const grace = person({ agentId: 'grace', name: 'Grace Hopper', title: 'VP of Engineering', level: 'vp' });
    for (const level of LEVELS) {
      for (const department of DEPARTMENTS) {
        const files = renderPersona(templates, {
          self: person({ level, department }),
          manager: grace,
          reports: [],
          teammates: [],
          chain: [grace],
          matrixUserId: (p) => `@agent-${p.agentId}:example.org`,
        });
        for (const [name, text] of Object.entries(files)) {
          assert.ok(!/\{\{\w+\}\}/.test(text), `${level}/${department}: ${name} has a placeholder left`);
          assert.ok(text.startsWith('<!-- Written by Open-Claw-Fleet'), `${name} says it is managed`);
        }
        assert.ok(files['SOUL.md'].includes('You are **Ada Lovelace**, Staff Engineer in ' + department));
      }
    }
  });

  it("state the agent's place: manager, reports, team, chain of command and Matrix ids", () => {
    const grace = person({
      agentId: 'grace',
      name: 'Grace Hopper',
      title: 'VP of Engineering',
      level: 'vp',
      team: undefined,
    });
    const alan = person({ agentId: 'alan', name: 'Alan Turing', title: 'Software Engineer', manager: 'ada' });
    const files = renderPersona(templates, {
      self: person({ level: 'manager', title: 'Engineering Manager, Platform' }),
      manager: grace,
      reports: [alan],
      teammates: [alan],
      chain: [grace],
      matrixUserId: (p) => `@agent-${p.agentId}:example.org`,
    });
    const agents = files['AGENTS.md'];
    assert.ok(agents.includes('- Your manager: Grace Hopper, VP of Engineering (@agent-grace:example.org).'));
    assert.ok(agents.includes('  - Alan Turing, Software Engineer (@agent-alan:example.org)'));
    assert.ok(agents.includes('- Chain of command: Grace Hopper (VP of Engineering) → the CEO.'));
    assert.ok(agents.includes('## Your role as a manager'));
    assert.ok(agents.includes('## Engineering'));
    assert.ok(!agents.includes('## Voice'), 'voices go to SOUL.md');
    assert.ok(files['IDENTITY.md'].includes('- Name: Ada Lovelace'));
  });

  it('refuse a template placeholder nobody fills', () => {
    assert.throws(() => fill('Hello {{nobody}}', {}), /\{\{nobody\}\}/);
  });
});
