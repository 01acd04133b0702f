import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isRetirementComplete,
  RETIREMENT_STEPS,
  retirementSteps,
  type HireReach,
  type RetirementStep,
} from '../src/index.ts';

/** Any hire's reach, with the "reached" facts of any shape a service keeps. */
const reach: fc.Arbitrary<HireReach> = fc.record(
  {
    credentials: fc.oneof(fc.string(), fc.constant(null), fc.constant(true)),
    'chat-account': fc.oneof(fc.string(), fc.constant(null), fc.constant(true)),
    task: fc.oneof(fc.string(), fc.constant(null), fc.record({ arn: fc.string() })),
  },
  { requiredKeys: [] },
);
const doneSteps = fc.subarray([...RETIREMENT_STEPS]);

describe('retirementSteps', () => {
  it('undoes nothing for a hire that did nothing', () => {
    assert.deepEqual(retirementSteps({}), []);
    assert.deepEqual(retirementSteps({ credentials: undefined, task: undefined }), []);
  });

  it('undoes every step of a hire that launched its task, in order', () => {
    assert.deepEqual(retirementSteps({ credentials: 'a', 'chat-account': 'b', task: 'c' }), [
      'credentials',
      'chat-account',
      'task',
      'memory',
    ]);
  });

  it('asks a task that never launched for neither a stop nor an archive', () => {
    assert.deepEqual(retirementSteps({ credentials: 'a', 'chat-account': 'b' }), [
      'credentials',
      'chat-account',
    ]);
  });

  it('undoes exactly what the hire reached: a step is owed iff its hire step is present', () => {
    fc.assert(
      fc.property(reach, (r) => {
        const steps = retirementSteps(r);
        assert.equal(steps.includes('credentials'), r.credentials !== undefined);
        assert.equal(steps.includes('chat-account'), r['chat-account'] !== undefined);
        assert.equal(steps.includes('task'), r.task !== undefined);
        // The storage is archived exactly when a task was launched.
        assert.equal(steps.includes('memory'), steps.includes('task'));
        // No duplicates, and the order the status shows.
        assert.deepEqual(
          steps,
          RETIREMENT_STEPS.filter((s) => steps.includes(s)),
        );
      }),
    );
  });
});

describe('isRetirementComplete', () => {
  it('is complete exactly when every owed step is done, whatever else is', () => {
    fc.assert(
      fc.property(reach, doneSteps, (r, done) => {
        const isDone = (step: RetirementStep) => done.includes(step);
        assert.equal(
          isRetirementComplete(r, isDone),
          retirementSteps(r).every((s) => done.includes(s)),
        );
      }),
    );
  });

  it('never goes back once complete: more steps done keep it complete', () => {
    fc.assert(
      fc.property(reach, doneSteps, doneSteps, (r, some, more) => {
        if (!isRetirementComplete(r, (s) => some.includes(s))) return;
        assert.ok(isRetirementComplete(r, (s) => some.includes(s) || more.includes(s)));
      }),
    );
  });

  it('waits for a step the hire reached, even when every other step is done', () => {
    fc.assert(
      fc.property(reach, (r) => {
        for (const missing of retirementSteps(r)) {
          assert.equal(
            isRetirementComplete(r, (s) => s !== missing),
            false,
          );
        }
      }),
    );
  });
});
