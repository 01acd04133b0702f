import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { createNaming, orgRoomAliases, slug } from '../src/org/naming.ts';
import { OrgChart, type Person } from '../src/org/people.ts';

const person = (agentId: string, fields: Partial<Person> = {}): Person => ({
  agentId,
  name: agentId,
  title: 'Engineer',
  level: 'ic',
  department: 'Engineering',
  manager: 'ceo',
  status: 'running',
  ...fields,
});

const org = new OrgChart([
  person('grace', { name: 'Grace Hopper', title: 'VP of Engineering', level: 'vp' }),
  person('ada', {
    name: 'Ada Lovelace',
    title: 'Engineering Manager, Platform',
    level: 'manager',
    team: 'Platform',
    manager: 'grace',
  }),
  person('alan', { name: 'Alan Turing', title: 'Staff Engineer', team: 'Platform', manager: 'ada' }),
  person('edsger', { name: 'Edsger Dijkstra', team: 'Platform', manager: 'ada' }),
  person('gone', { name: 'Gone Person', team: 'Platform', manager: 'ada', status: 'retired' }),
  person('sam', {
    name: 'Sam Sales',
    title: 'Account Executive',
    department: 'Sales',
    team: 'Platform',
    manager: 'ceo',
  }),
]);

describe('the org chart an agent sees', () => {
  it('leaves out people who left, and answers manager, reports, team and chain of command', () => {
    const ada = org.get('ada');
    assert.ok(ada);
    assert.equal(org.get('gone'), undefined);
    assert.equal((org.managerOf(ada) as Person).name, 'Grace Hopper');
    assert.deepEqual(
      org.reportsOf('ada').map((p) => p.agentId),
      ['alan', 'edsger'],
    );
    // Teams are per department: Sales has a "Platform" team too.
    assert.deepEqual(
      org.teamOf(ada).map((p) => p.agentId),
      ['ada', 'alan', 'edsger'],
    );
    assert.deepEqual(
      org.chainOfCommand(org.get('alan') ?? ada).map((p) => p.agentId),
      ['ada', 'grace'],
    );
    assert.equal(org.managerOf(org.get('grace') ?? ada), 'ceo');
  });

  it('stops a chain of command at a loop instead of walking forever', () => {
    const looped = new OrgChart([person('a', { manager: 'b' }), person('b', { manager: 'a' })]);
    assert.deepEqual(
      looped.chainOfCommand(looped.get('a') ?? person('x')).map((p) => p.agentId),
      ['b'],
    );
  });

  it('searches by any words, exact names first, and resolves names and ids', () => {
    assert.deepEqual(
      org.search('platform engineer').map((p) => p.agentId),
      ['ada', 'alan', 'edsger'],
    );
    assert.deepEqual(
      org.search('ada lovelace').map((p) => p.agentId),
      ['ada'],
    );
    assert.deepEqual(
      org.search('platform', { department: 'sales' }).map((p) => p.agentId),
      ['sam'],
    );
    assert.deepEqual(org.resolve('alan'), { person: org.get('alan') });
    assert.deepEqual(org.resolve('Grace Hopper'), { person: org.get('grace') });
    const ambiguous = org.resolve('platform');
    assert.ok('candidates' in ambiguous && ambiguous.candidates.length > 1);
  });
});

describe('Matrix names', () => {
  it("match the bridge's: user ids, room aliases and slugs", async () => {
    const naming = createNaming({ serverName: 'example.org', namespace: 't1' });
    assert.equal(naming.agentUserId('ada'), '@agent-t1_ada:example.org');
    assert.ok(naming.isAgent('@agent-t1_bob:example.org'));
    assert.ok(!naming.isAgent('@agent-t2_bob:example.org'));
    assert.equal(slug('Research & Development'), 'research-and-development');
    assert.equal(slug('Café Ops'), 'cafe-ops');
    const ada = org.get('ada');
    assert.ok(ada);
    assert.deepEqual(orgRoomAliases(naming, ada, org.reportsOf('ada')), [
      '#t1_all-employees:example.org',
      '#t1_engineering.platform-team:example.org',
      '#t1_dm.grace.ada:example.org',
      '#t1_dm.ada.alan:example.org',
      '#t1_dm.ada.edsger:example.org',
    ]);
    assert.ok(
      orgRoomAliases(naming, org.get('grace') ?? ada, []).includes('#t1_engineering-leadership:example.org'),
    );

    // Until the naming rules move to shared/, fail when the bridge's copy drifts from this one.
    const bridge = resolve(import.meta.dirname, '../../services/bridge/src/domain/naming.ts');
    const source = await readFile(bridge, 'utf8').catch(() => undefined);
    if (source !== undefined) {
      const mine = await readFile(resolve(import.meta.dirname, '../src/org/naming.ts'), 'utf8');
      const body = (text: string) => /export function slug[\s\S]*?\n}\n/.exec(text)?.[0];
      assert.equal(body(mine), body(source), 'slug() differs from the bridge');
    }
  });
});
