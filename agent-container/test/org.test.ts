import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CEO_ID, createNaming } from '@ocf/naming';
import { orgRoomAliases } from '../src/org/org-rooms.ts';
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
    assert.equal(org.managerOf(org.get('grace') ?? ada), CEO_ID);
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
  it('are the org rooms the bridge makes: with manager, team and each report', () => {
    const naming = createNaming({ serverName: 'example.org', namespace: 't1' });
    const ada = org.get('ada');
    assert.ok(ada);
    assert.deepEqual(orgRoomAliases(naming, ada, org.reportsOf('ada')), [
      '#org-t1_all-employees:example.org',
      '#org-t1_engineering.platform-team:example.org',
      '#org-t1_dm.grace.ada:example.org',
      '#org-t1_dm.ada.alan:example.org',
      '#org-t1_dm.ada.edsger:example.org',
    ]);
    assert.ok(
      orgRoomAliases(naming, org.get('grace') ?? ada, []).includes(
        '#org-t1_engineering-leadership:example.org',
      ),
    );
  });
});
