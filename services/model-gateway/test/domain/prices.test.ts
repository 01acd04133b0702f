import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '@ocf/errors';
import { costMicroUsd, microToUsd, priceOf, priceTable, usdToMicro } from '../../src/domain/prices.ts';

describe('price table', () => {
  it('prices per million tokens, input and output apart, in whole micro-dollars rounded up', () => {
    const price = { inputPerMillionUsd: 3, outputPerMillionUsd: 15 };
    assert.equal(costMicroUsd(price, { tokensIn: 1_000_000, tokensOut: 0 }), 3_000_000);
    assert.equal(costMicroUsd(price, { tokensIn: 1000, tokensOut: 100 }), 3000 + 1500);
    assert.equal(
      costMicroUsd({ inputPerMillionUsd: 0.035, outputPerMillionUsd: 0.14 }, { tokensIn: 1, tokensOut: 1 }),
      1,
    );
    assert.equal(microToUsd(4500), 0.0045);
    assert.equal(usdToMicro(0.1 + 0.2), 300_000, 'no float drift in budgets');
  });

  it('never rounds a cost down, and sums of costs stay exact integers', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.nat(1_000_000),
        fc.nat(100_000),
        (input, output, tokensIn, tokensOut) => {
          const cost = costMicroUsd(
            { inputPerMillionUsd: input, outputPerMillionUsd: output },
            { tokensIn, tokensOut },
          );
          assert.ok(Number.isInteger(cost));
          assert.ok(cost >= tokensIn * input + tokensOut * output);
        },
      ),
    );
  });

  it('lays MODEL_PRICES over the defaults, strips cross-region prefixes, and prices the unknown dear', () => {
    const table = priceTable({ 'my-model': { inputPerMillionUsd: 1, outputPerMillionUsd: 2 } });
    assert.deepEqual(priceOf(table, 'my-model'), { inputPerMillionUsd: 1, outputPerMillionUsd: 2 });
    assert.deepEqual(priceOf(table, 'us.anthropic.claude-sonnet-4-20250514-v1:0'), {
      inputPerMillionUsd: 3,
      outputPerMillionUsd: 15,
    });
    assert.deepEqual(
      priceOf(table, 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0'),
      { inputPerMillionUsd: 0.06, outputPerMillionUsd: 0.24 },
    );
    assert.deepEqual(priceOf(table, 'someone-elses-model'), {
      inputPerMillionUsd: 15,
      outputPerMillionUsd: 75,
    });
    const cheaper = priceTable({ '*': { inputPerMillionUsd: 0, outputPerMillionUsd: 0 } });
    assert.deepEqual(priceOf(cheaper, 'anything'), { inputPerMillionUsd: 0, outputPerMillionUsd: 0 });
  });

  it('refuses a malformed entry, naming it', () => {
    assert.throws(
      () => priceTable({ 'my-model': { inputPerMillionUsd: -1, outputPerMillionUsd: 2 } }),
      (error: unknown) =>
        error instanceof ValidationError && /MODEL_PRICES\.my-model\.inputPerMillionUsd/.test(error.message),
    );
    assert.throws(() => priceTable({ 'my-model': { input: 1 } }), ValidationError);
  });
});
