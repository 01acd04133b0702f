import { z } from 'zod';
import { commonSettings, requiredWhen, type SettingsCheck } from '@ocf/config';
import { priceTable } from './domain/prices.ts';

/** A JSON setting, parsed and then checked by `check`; a message names what it must be. */
function json<T>(what: string, check: (value: unknown) => T) {
  return z.string().transform((value, context) => {
    try {
      return check(JSON.parse(value));
    } catch (error) {
      context.addIssue({
        code: 'custom',
        message: `${what}${error instanceof SyntaxError ? '' : `: ${(error as Error).message}`}`,
      });
      return z.NEVER;
    }
  });
}

const budgets = json('a JSON object: department name to monthly budget in US dollars', (value) =>
  z.record(z.string().min(1), z.number().nonnegative()).parse(value),
);

/** The model gateway's settings, on top of the common ones (see shared/config and docs/model-gateway.md). */
export const settings = {
  PORT: commonSettings.PORT.default(8086),
  /** Where calls go: nowhere (every call answers "no model is configured"), any OpenAI-compatible endpoint, or Bedrock. */
  MODEL_UPSTREAM: z.enum(['none', 'openai-compatible', 'bedrock']).default('none'),
  /** The OpenAI-compatible endpoint, ending in /v1. */
  MODEL_UPSTREAM_URL: z.url().optional(),
  /** The fleet's model (a Bedrock model id or inference profile, or the endpoint's model name); unset: what each agent asks for. */
  MODEL_UPSTREAM_MODEL: z.string().min(1).max(200).optional(),
  /** A Secrets Manager secret holding the OpenAI-compatible endpoint's API key, if it needs one. */
  MODEL_UPSTREAM_API_KEY_SECRET_ARN: z.string().startsWith('arn:').optional(),
  /** Prices per million tokens, laid over the defaults: `{"<model>": {"inputPerMillionUsd": 3, "outputPerMillionUsd": 15}}`. */
  MODEL_PRICES: json(
    'a JSON object: model id to {inputPerMillionUsd, outputPerMillionUsd}',
    priceTable,
  ).optional(),
  /** Every call's output is capped at this many tokens. */
  MODEL_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(1).max(200_000).default(8192),
  /** Largest request body: with the output cap, it bounds what one call can cost. */
  MODEL_MAX_REQUEST_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  /** Calls one agent may have running at once. */
  MODEL_MAX_CALLS_IN_FLIGHT_PER_AGENT: z.coerce.number().int().min(1).default(4),
  /** Per-agent rate limits against loops. */
  MODEL_REQUESTS_PER_MINUTE: z.coerce.number().positive().default(60),
  MODEL_TOKENS_PER_MINUTE: z.coerce.number().positive().default(400_000),
  /** Calls towards the upstream at once, for the whole fleet; the rest wait in line, up to MODEL_UPSTREAM_MAX_WAITING. */
  MODEL_UPSTREAM_CONCURRENCY: z.coerce.number().int().min(1).default(32),
  MODEL_UPSTREAM_MAX_WAITING: z.coerce.number().int().min(0).default(1000),
  /** Tries per call when the upstream throttles, with exponential back-off between base and max. */
  MODEL_THROTTLE_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
  MODEL_THROTTLE_BACKOFF_BASE_MS: z.coerce.number().int().min(0).default(500),
  MODEL_THROTTLE_BACKOFF_MAX_MS: z.coerce.number().int().min(0).default(20_000),
  /** Share of an agent's monthly budget at which its manager is told. */
  MODEL_BUDGET_SOFT_PERCENT: z.coerce.number().int().min(1).max(99).default(80),
  /** Monthly budgets of departments, and of the whole fleet (US dollars). */
  MODEL_DEPARTMENT_BUDGETS_USD: budgets.optional(),
  MODEL_FLEET_BUDGET_USD: z.coerce.number().nonnegative().optional(),
  /** How often usage goes out: one ModelUsageReported per agent that made calls, and the metrics. */
  MODEL_USAGE_REPORT_MS: z.coerce.number().int().min(100).default(60_000),
  /** How long month totals read from DynamoDB are trusted before they are read again. */
  MODEL_TOTALS_TTL_MS: z.coerce.number().int().min(0).default(15_000),
};

type Parsed = z.output<z.ZodObject<typeof settings>>;

export const checkSettings: SettingsCheck<Parsed> = requiredWhen<Parsed>(
  (config) => config.MODEL_UPSTREAM === 'openai-compatible',
  ['MODEL_UPSTREAM_URL'],
  'MODEL_UPSTREAM=openai-compatible',
);
