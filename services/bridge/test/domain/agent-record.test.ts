import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  emptyRecord,
  lifecycle,
  mergeCredentialsIssued,
  mergeHire,
  mergeRetirement,
  mergeUpdate,
  type AgentRecord,
} from '../../src/domain/agent-record.ts';

const hire = {
  agentId: 'ada',
  name: 'Ada Lovelace',
  title: 'Staff Engineer',
  level: 'ic' as const,
  department: 'Engineering',
  team: 'Platform',
  managerId: 'grace',
};
const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, second)).toISOString();

type Fact = (record: AgentRecord) => AgentRecord;

const fact: fc.Arbitrary<Fact> = fc.oneof(
  fc.record({ second: fc.nat(50), title: fc.constantFrom('Engineer', 'Staff Engineer') }).map(
    ({ second, title }) =>
      (record: AgentRecord) =>
        mergeHire(record, { ...hire, title }, at(second)),
  ),
  fc
    .record({
      second: fc.nat(50),
      team: fc.constantFrom('Platform', 'Runtime', null),
      title: fc.option(fc.constantFrom('Principal', 'Lead'), { nil: undefined }),
    })
    .map(
      ({ second, team, title }) =>
        (record: AgentRecord) =>
          mergeUpdate(record, { team, ...(title === undefined ? {} : { title }) }, at(second)),
    ),
  fc.nat(50).map((second) => (record: AgentRecord) => mergeRetirement(record, at(second))),
  fc.nat(50).map((second) => (record: AgentRecord) => mergeCredentialsIssued(record, at(second))),
);

const apply = (facts: readonly Fact[]) => facts.reduce((record, f) => f(record), emptyRecord('ada'));

describe('agent record', () => {
  it('comes out the same whatever order, and however often, the facts arrive', () => {
    fc.assert(
      fc.property(
        fc
          .array(fact, { maxLength: 8 })
          .chain((facts) =>
            fc.tuple(
              fc.constant(facts),
              fc.shuffledSubarray(facts, { minLength: facts.length }),
              fc.array(fc.nat(), { maxLength: 4 }),
            ),
          ),
        ([facts, shuffled, repeats]) => {
          const again = [
            ...shuffled,
            ...repeats.map((i) => facts[i % Math.max(1, facts.length)]).filter((f) => f !== undefined),
          ];
          assert.deepEqual(apply(again), apply(facts));
        },
      ),
    );
  });

  it('is active once hired and issued, retired when the retirement is the latest, back on a re-hire', () => {
    let record = emptyRecord('ada');
    assert.equal(lifecycle(record).kind, 'unknown');
    record = mergeHire(record, hire, at(1));
    assert.equal(lifecycle(record).kind, 'awaiting-credentials');
    record = mergeCredentialsIssued(record, at(2));
    assert.deepEqual(lifecycle(record), {
      kind: 'active',
      position: {
        name: 'Ada Lovelace',
        title: 'Staff Engineer',
        level: 'ic',
        department: 'Engineering',
        team: 'Platform',
        managerId: 'grace',
      },
    });
    record = mergeRetirement(record, at(3));
    assert.equal(lifecycle(record).kind, 'retired');
    record = mergeHire(record, hire, at(4));
    assert.equal(lifecycle(record).kind, 'awaiting-credentials', "the old tenure's secret does not count");
    record = mergeCredentialsIssued(record, at(5));
    assert.equal(lifecycle(record).kind, 'active');
  });

  it('takes a team away when an update says null', () => {
    const record = mergeUpdate(
      mergeCredentialsIssued(mergeHire(emptyRecord('ada'), hire, at(1)), at(2)),
      { team: null },
      at(3),
    );
    const life = lifecycle(record);
    assert.equal(life.kind === 'active' ? life.position.team : 'not active', undefined);
  });
});
