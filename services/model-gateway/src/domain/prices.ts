import { z } from 'zod';
import { ValidationError } from '@ocf/errors';
import type { TokenCount } from './openai.ts';

/**
 * What a model costs, in US dollars per million tokens, input and output apart (the way every
 * provider prices). A price per million tokens in dollars is a price per token in micro-dollars,
 * so costs are kept as whole micro-dollars (µUSD), rounded up: sums of integers never drift.
 */
export interface ModelPrice {
  readonly inputPerMillionUsd: number;
  readonly outputPerMillionUsd: number;
}

/** Prices by model id as the upstream names it; `*` prices every model not listed. */
export type PriceTable = ReadonlyMap<string, ModelPrice>;

const priceSchema = z.object({
  inputPerMillionUsd: z.number().nonnegative().max(10_000),
  outputPerMillionUsd: z.number().nonnegative().max(10_000),
});
const tableSchema = z.record(z.string().min(1).max(200), priceSchema);

/**
 * List prices per million tokens (on-demand, as published when this was written); an operator
 * sets the fleet's own with MODEL_PRICES. The `*` entry is deliberately dear, so a model nobody
 * priced is never cheaper than it should be and can never slip past a budget.
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  'anthropic.claude-3-5-haiku-20241022-v1:0': { inputPerMillionUsd: 0.8, outputPerMillionUsd: 4 },
  'anthropic.claude-sonnet-4-20250514-v1:0': { inputPerMillionUsd: 3, outputPerMillionUsd: 15 },
  'amazon.nova-micro-v1:0': { inputPerMillionUsd: 0.035, outputPerMillionUsd: 0.14 },
  'amazon.nova-lite-v1:0': { inputPerMillionUsd: 0.06, outputPerMillionUsd: 0.24 },
  'amazon.nova-pro-v1:0': { inputPerMillionUsd: 0.8, outputPerMillionUsd: 3.2 },
  'gpt-4o-mini': { inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6 },
  '*': { inputPerMillionUsd: 15, outputPerMillionUsd: 75 },
};

/**
 * The price table: the defaults, with `overrides` (MODEL_PRICES, JSON `{ "<model>": { ... } }`)
 * laid over them. A malformed entry is a ValidationError naming it.
 */
export function priceTable(overrides: unknown = {}): PriceTable {
  const parsed = tableSchema.safeParse(overrides);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join('.') ?? '';
    throw new ValidationError(`MODEL_PRICES.${where}: ${issue?.message ?? 'invalid'}`, {
      field: `MODEL_PRICES.${where}`,
    });
  }
  return new Map(Object.entries({ ...DEFAULT_PRICES, ...parsed.data }));
}

/**
 * The price of a model: its own entry, else the entry of its id (out of a Bedrock ARN, and
 * without a cross-region prefix: `us.anthropic...` is priced as `anthropic...`), else `*`.
 */
export function priceOf(table: PriceTable, model: string): ModelPrice {
  // A Bedrock ARN (what the CDK app configures) is priced by the model id in it.
  const id = model.replace(
    /^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(foundation-model|inference-profile|application-inference-profile)\//,
    '',
  );
  const own = table.get(model) ?? table.get(id) ?? table.get(id.replace(/^(us|eu|apac|global)\./, ''));
  const price = own ?? table.get('*');
  if (price === undefined) throw new Error('the price table has no "*" entry');
  return price;
}

/** The cost of one call in whole micro-dollars, rounded up. */
export function costMicroUsd(price: ModelPrice, tokens: TokenCount): number {
  return Math.ceil(tokens.tokensIn * price.inputPerMillionUsd + tokens.tokensOut * price.outputPerMillionUsd);
}

export function microToUsd(micro: number): number {
  return micro / 1_000_000;
}

export function usdToMicro(usd: number): number {
  return Math.round(usd * 1_000_000);
}
