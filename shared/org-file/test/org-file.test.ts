import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { orgFileFromAgents, validateOrgFile } from '../src/index.ts';
import { schemaPath, schemaText } from '../scripts/write-schema.ts';

const person = (id: string, level: string, manager: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Person ${id}`,
  title: 'Someone',
  level,
  department: 'Engineering',
  manager,
  ...extra,
});

describe('org file', () => {
  it('the committed JSON Schema is the one the code validates with (pnpm org:schema)', async () => {
    // Compared as JSON: the committed copy is formatted by Prettier like every other file.
    assert.deepEqual(JSON.parse(await readFile(schemaPath, 'utf8')), JSON.parse(schemaText()));
  });

  it('reads a valid org as positions (manager -> managerId)', () => {
    const result = validateOrgFile({
      version: 1,
      departments: [{ name: 'Engineering', teams: ['Platform'] }],
      people: [person('vp-one', 'vp', 'ceo'), person('ic-one', 'ic', 'vp-one', { team: 'Platform' })],
    });
    assert.ok(result.ok);
    assert.deepEqual(result.org.people[1], {
      agentId: 'ic-one',
      name: 'Person ic-one',
      title: 'Someone',
      level: 'ic',
      department: 'Engineering',
      team: 'Platform',
      managerId: 'vp-one',
    });
  });

  it('names every error by path, not just the first', () => {
    const result = validateOrgFile({
      version: 2,
      departments: [{ name: 'Engineering' }, { name: 'Engineering' }],
      people: [
        person('vp-one', 'vp', 'ceo', { team: 'Nowhere' }),
        person('loop-a', 'manager', 'loop-b'),
        person('loop-b', 'manager', 'loop-a'),
        person('orphan', 'ic', 'nobody-here'),
        person('vp-one', 'ic', 'ceo'),
        person('too-high', 'executive', 'vp-one'),
        person('bell', 'ic', 'vp-one', { name: 'Ring \u0007 Bell' }),
        person('elsewhere', 'ic', 'vp-one', { department: 'Sales' }),
        person('self', 'ic', 'self'),
        { ...person('extra', 'ic', 'vp-one'), salary: 1 },
      ],
    });
    assert.ok(!result.ok);
    assert.deepEqual(result.errors.map((e) => `${e.path} ${e.code}`).sort(), [
      'departments[1].name DUPLICATE_DEPARTMENT',
      'people[0].team UNKNOWN_TEAM',
      'people[1].level LEVEL_CANNOT_REPORT',
      'people[1].manager REPORTING_CYCLE',
      'people[2].level LEVEL_CANNOT_REPORT',
      'people[2].manager REPORTING_CYCLE',
      'people[3].manager UNKNOWN_MANAGER',
      'people[4].id DUPLICATE_ID',
      'people[5].level LEVEL_CANNOT_REPORT',
      'people[6].name CONTROL_CHARACTER',
      'people[7].department UNKNOWN_DEPARTMENT',
      'people[8].manager REPORTING_CYCLE',
      'people[9] UNKNOWN_FIELD',
      'version INVALID_FIELD',
    ]);
  });

  it('exports agents as a file that validates, managers before their reports', () => {
    const file = orgFileFromAgents([
      {
        agentId: 'ic-one',
        name: 'I',
        title: 'T',
        level: 'ic',
        department: 'Eng',
        team: 'P',
        manager: 'vp-one',
      },
      { agentId: 'vp-one', name: 'V', title: 'T', level: 'vp', department: 'Eng', manager: 'ceo' },
    ]);
    assert.deepEqual(
      file.people.map((p) => p.id),
      ['vp-one', 'ic-one'],
    );
    assert.deepEqual(file.departments, [{ name: 'Eng', teams: ['P'] }]);
    assert.ok(validateOrgFile(file).ok);
  });

  it("carries each person's wake policy, idle timeout and budget, and refuses bad ones by path", () => {
    const settings = { wakePolicy: 'on-demand', idleTimeoutSeconds: 900, monthlyBudgetUsd: 25.5 };
    const ok = validateOrgFile({
      version: 1,
      departments: [{ name: 'Engineering' }],
      people: [person('vp-one', 'vp', 'ceo', settings)],
    });
    assert.ok(ok.ok);
    assert.deepEqual(ok.org.people[0], {
      agentId: 'vp-one',
      name: 'Person vp-one',
      title: 'Someone',
      level: 'vp',
      department: 'Engineering',
      managerId: 'ceo',
      ...settings,
    });
    const bad = validateOrgFile({
      version: 1,
      departments: [{ name: 'Engineering' }],
      people: [
        person('vp-one', 'vp', 'ceo', { wakePolicy: 'sometimes' }),
        person('ic-one', 'ic', 'vp-one', { idleTimeoutSeconds: 0 }),
        person('ic-two', 'ic', 'vp-one', { monthlyBudgetUsd: -5 }),
        person('ic-three', 'ic', 'vp-one', { monthlyBudgetUsd: '5' }),
      ],
    });
    assert.ok(!bad.ok);
    assert.deepEqual(
      bad.errors.map((e) => `${e.path} ${e.code}`),
      [
        'people[0].wakePolicy INVALID_FIELD',
        'people[1].idleTimeoutSeconds INVALID_FIELD',
        'people[2].monthlyBudgetUsd INVALID_FIELD',
        'people[3].monthlyBudgetUsd INVALID_FIELD',
      ],
    );
  });

  it('exports the settings an agent has, and the export validates', () => {
    const file = orgFileFromAgents([
      {
        agentId: 'vp-one',
        name: 'V',
        title: 'T',
        level: 'vp',
        department: 'Eng',
        manager: 'ceo',
        wakePolicy: 'always-on',
        monthlyBudgetUsd: 100,
      },
    ]);
    assert.deepEqual(file.people[0], {
      id: 'vp-one',
      name: 'V',
      title: 'T',
      level: 'vp',
      department: 'Eng',
      manager: 'ceo',
      wakePolicy: 'always-on',
      monthlyBudgetUsd: 100,
    });
    assert.ok(validateOrgFile(file).ok);
  });
});
