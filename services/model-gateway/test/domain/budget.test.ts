import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { admit, createInFlight, dueNotices, maxCallCostMicro } from '../../src/domain/budget.ts';

const none = { agent: 0, department: 0, fleet: 0 };

describe('admit', () => {
  it('lets a call start while every limited scope is under its limit', () => {
    assert.deepEqual(admit(none, {}), { admitted: true });
    assert.deepEqual(admit({ agent: 499_999, department: 10, fleet: 10 }, { agent: 500_000 }), {
      admitted: true,
    });
    assert.deepEqual(admit({ agent: 500_000, department: 0, fleet: 0 }, { agent: 500_000 }), {
      admitted: false,
      scope: 'agent',
      spentMicro: 500_000,
      limitMicro: 500_000,
    });
  });

  it('names the narrowest spent scope, and refuses everything under a limit of 0', () => {
    const spent = { agent: 10, department: 10, fleet: 10 };
    const refusal = admit(spent, { department: 5, fleet: 5 });
    assert.equal(refusal.admitted ? undefined : refusal.scope, 'department');
    const zero = admit(none, { agent: 0 });
    assert.equal(zero.admitted, false);
  });
});

describe('dueNotices', () => {
  it('asks for the soft notice from 80% and the exhausted one from 100%, per scope', () => {
    const limits = { agent: 1_000_000, department: 10_000_000 };
    assert.deepEqual(dueNotices({ agent: 799_999, department: 0, fleet: 0 }, limits, 80), []);
    assert.deepEqual(dueNotices({ agent: 800_000, department: 0, fleet: 0 }, limits, 80), [
      { kind: 'threshold', scope: 'agent', spentMicro: 800_000, limitMicro: 1_000_000 },
    ]);
    assert.deepEqual(
      dueNotices({ agent: 1_000_000, department: 10_000_000, fleet: 0 }, limits, 80).map((n) => [
        n.kind,
        n.scope,
      ]),
      [
        ['exhausted', 'agent'],
        ['exhausted', 'department'],
      ],
      'a spent budget is not also "nearly spent"',
    );
  });
});

describe('createInFlight', () => {
  it('holds at most maxPerAgent calls per agent, each agent apart', () => {
    const inFlight = createInFlight(2);
    assert.equal(inFlight.enter('ada'), true);
    assert.equal(inFlight.enter('ada'), true);
    assert.equal(inFlight.enter('ada'), false);
    assert.equal(inFlight.enter('bob'), true);
    inFlight.leave('ada');
    assert.equal(inFlight.enter('ada'), true);
  });
});

/**
 * The overspend bound of ADR 0017, checked over arbitrary interleavings of concurrent calls:
 *
 *   with a monthly limit L > 0, at most K calls of an agent in flight, and no call costing more
 *   than C, the agent's spend never exceeds L - 1 + K * C (µUSD).
 *
 * Proof: a call starts only while spend < L, i.e. spend <= L - 1 (integers). Take the last call
 * to start. When it started, spend was at most L - 1, and at most K calls were in flight
 * including it. Every call that finishes afterwards was one of those K (none starts after the
 * last one), and each adds at most C. So the final spend is at most L - 1 + K * C. The bound is
 * reached: K calls starting at spend L - 1 that each cost C.
 */
describe('overspend bound (property)', () => {
  type Step = { readonly start: true } | { readonly finish: number; readonly cost: number };

  const scenario = fc.record({
    limit: fc.integer({ min: 1, max: 5_000_000 }),
    maxInFlight: fc.integer({ min: 1, max: 8 }),
    maxCost: fc.integer({ min: 0, max: 2_000_000 }),
    steps: fc.array(
      fc.oneof(
        fc.constant<Step>({ start: true }),
        fc.record({ finish: fc.nat(), cost: fc.double({ min: 0, max: 1, noNaN: true }) }),
      ),
      { maxLength: 400 },
    ),
  });

  it('concurrent calls never overspend by more than K calls at their dearest', () => {
    fc.assert(
      fc.property(scenario, ({ limit, maxInFlight, maxCost, steps }) => {
        const inFlight = createInFlight(maxInFlight);
        const running: number[] = [];
        let spent = 0;
        const finish = (index: number, share: number) => {
          running.splice(index, 1);
          inFlight.leave('ada');
          spent += Math.floor(share * maxCost);
        };
        for (const step of steps) {
          if ('start' in step) {
            // The gateway's order: a place among the agent's calls, then the budget.
            if (!inFlight.enter('ada')) continue;
            if (!admit({ agent: spent, department: 0, fleet: 0 }, { agent: limit }).admitted) {
              inFlight.leave('ada');
              continue;
            }
            running.push(1);
          } else if (running.length > 0) {
            finish(step.finish % running.length, step.cost);
          }
          assert.ok(running.length <= maxInFlight);
        }
        while (running.length > 0) finish(0, 1);
        assert.ok(
          spent <= limit - 1 + maxInFlight * maxCost,
          `spent ${spent} > ${limit} - 1 + ${maxInFlight} * ${maxCost}`,
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it('is reached: K calls started just under the limit, each at its dearest', () => {
    const limit = 1_000;
    const inFlight = createInFlight(3);
    let spent = limit - 1;
    let started = 0;
    while (
      inFlight.enter('ada') &&
      admit({ agent: spent, department: 0, fleet: 0 }, { agent: limit }).admitted
    )
      started++;
    spent += started * 500;
    assert.equal(started, 3);
    assert.equal(spent, limit - 1 + 3 * 500);
  });

  it('states C for the defaults: a 4 MiB request at one token per byte plus the output cap', () => {
    // $3 / $15 per million tokens (Claude Sonnet 4 on Bedrock), 4 MiB, 8,192 output tokens.
    const c = maxCallCostMicro({ inputPerMillionUsd: 3, outputPerMillionUsd: 15 }, 4 * 1024 * 1024, 8192);
    assert.equal(c, 4 * 1024 * 1024 * 3 + 8192 * 15);
  });
});
