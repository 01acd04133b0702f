import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretText } from '@ocf/secrets';
import type { ServiceDefinition } from '@ocf/service';
import { createBedrockUpstream } from './adapters/bedrock-upstream.ts';
import { createCloudWatchMetrics } from '@ocf/metrics/cloudwatch';
import { createDynamoProfileStore, createDynamoUsageStore } from './adapters/dynamo-stores.ts';
import { createNoUpstream } from './adapters/no-upstream.ts';
import { createOpenAiUpstream } from './adapters/openai-upstream.ts';
import { createModelKeyKeyReader, createSecretsManagerKeyVersions } from './adapters/secrets-manager.ts';
import { buildApp } from './app.ts';
import { checkSettings, settings } from './config.ts';
import { createInFlight } from './domain/budget.ts';
import { priceTable } from './domain/prices.ts';
import { createRateLimiter } from './domain/rate-limit.ts';
import { createUpstreamLimiter } from './domain/upstream-limiter.ts';
import { createGateway } from './gateway.ts';
import { createHandlers } from './handlers/index.ts';
import type { Upstream } from './ports.ts';
import { createUsageReporter } from './usage-reporter.ts';

/**
 * The model gateway as startService runs it (ADR 0017): the upstream the settings name, its
 * DynamoDB table (profiles and usage), Secrets Manager for the model-key key and secret
 * versions (never an agent's secret value), CloudWatch for metrics, the handlers that keep the
 * profiles, the coalesced usage reporter, and the OpenAI-compatible HTTP side.
 */
export function modelGatewayService(): ServiceDefinition<typeof settings> {
  return {
    name: 'model-gateway',
    settings,
    checkSettings,
    compose: async ({ config, logger, routing, publisher, aws }) => {
      const secretsManager = new SecretsManagerClient({});
      const tableName = routing.tables.modelGateway.name;
      const upstream = await createUpstream(config, secretsManager);
      const reporter = createUsageReporter({
        publisher,
        metrics: createCloudWatchMetrics(new CloudWatchClient({})),
        environment: config.OCF_ENV,
        logger: logger.with({ component: 'usage-reporter' }),
        intervalMs: config.MODEL_USAGE_REPORT_MS,
      });
      const profiles = createDynamoProfileStore(aws.dynamodb, tableName);
      const gateway = createGateway({
        environment: config.OCF_ENV,
        modelKeyKey: createModelKeyKeyReader(secretsManager, config.OCF_ENV),
        keyVersions: createSecretsManagerKeyVersions(secretsManager, config.OCF_ENV),
        profiles,
        usage: createDynamoUsageStore(aws.dynamodb, tableName),
        upstream,
        limiter: createUpstreamLimiter({
          maxConcurrent: config.MODEL_UPSTREAM_CONCURRENCY,
          maxWaiting: config.MODEL_UPSTREAM_MAX_WAITING,
        }),
        rate: createRateLimiter({
          requestsPerMinute: config.MODEL_REQUESTS_PER_MINUTE,
          tokensPerMinute: config.MODEL_TOKENS_PER_MINUTE,
        }),
        inFlight: createInFlight(config.MODEL_MAX_CALLS_IN_FLIGHT_PER_AGENT),
        prices: config.MODEL_PRICES ?? priceTable(),
        publisher,
        logger,
        settings: {
          model: config.MODEL_UPSTREAM_MODEL,
          maxOutputTokens: config.MODEL_MAX_OUTPUT_TOKENS,
          softThresholdPercent: config.MODEL_BUDGET_SOFT_PERCENT,
          departmentBudgetsUsd: config.MODEL_DEPARTMENT_BUDGETS_USD ?? {},
          fleetBudgetUsd: config.MODEL_FLEET_BUDGET_USD,
          throttleAttempts: config.MODEL_THROTTLE_ATTEMPTS,
          throttleBackoffBaseMs: config.MODEL_THROTTLE_BACKOFF_BASE_MS,
          throttleBackoffMaxMs: config.MODEL_THROTTLE_BACKOFF_MAX_MS,
          totalsTtlMs: config.MODEL_TOTALS_TTL_MS,
        },
        onMetered: (metered) => {
          reporter.metered(metered);
        },
      });
      logger.info('model gateway assembled', {
        upstream: upstream.kind,
        model: config.MODEL_UPSTREAM_MODEL ?? "each agent's own",
        table: tableName,
      });
      return {
        handlers: createHandlers({
          profiles,
          changed: (agentId) => {
            gateway.forgetProfile(agentId);
          },
        }),
        app: (readiness) =>
          buildApp({
            logger,
            gateway,
            outcome: (outcome) => {
              reporter.outcome(outcome);
            },
            maxRequestBytes: config.MODEL_MAX_REQUEST_BYTES,
            readiness: {
              ...readiness,
              table: async () => {
                await aws.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
              },
            },
          }),
        background: { reporter },
      };
    },
  };
}

async function createUpstream(
  config: {
    MODEL_UPSTREAM: 'none' | 'openai-compatible' | 'bedrock';
    MODEL_UPSTREAM_URL?: string | undefined;
    MODEL_UPSTREAM_API_KEY_SECRET_ARN?: string | undefined;
    AWS_REGION: string;
  },
  secretsManager: SecretsManagerClient,
): Promise<Upstream> {
  switch (config.MODEL_UPSTREAM) {
    case 'none':
      return createNoUpstream();
    case 'bedrock':
      // One attempt per call: the gateway backs off for the whole fleet when Bedrock throttles.
      // Never the emulator that AWS_ENDPOINT_URL names locally (it has no Bedrock): Bedrock's
      // own endpoint, or the one AWS_ENDPOINT_URL_BEDROCK_RUNTIME names (the SDK's service-specific setting).
      return createBedrockUpstream({
        client: new BedrockRuntimeClient({
          region: config.AWS_REGION,
          maxAttempts: 1,
          endpoint:
            process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'] ??
            `https://bedrock-runtime.${config.AWS_REGION}.amazonaws.com`,
        }),
      });
    case 'openai-compatible': {
      let apiKey: SecretText | undefined;
      if (config.MODEL_UPSTREAM_API_KEY_SECRET_ARN !== undefined) {
        const { SecretString } = await secretsManager.send(
          new GetSecretValueCommand({ SecretId: config.MODEL_UPSTREAM_API_KEY_SECRET_ARN }),
        );
        if (SecretString === undefined)
          throw new Error(`${config.MODEL_UPSTREAM_API_KEY_SECRET_ARN} has no string value`);
        apiKey = new SecretText(SecretString.trim());
      }
      return createOpenAiUpstream({ baseUrl: config.MODEL_UPSTREAM_URL ?? '', apiKey });
    }
  }
}
