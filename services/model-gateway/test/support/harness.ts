import type { FastifyInstance } from 'fastify';
import type { DraftEvent, EventType } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { createMemoryPublisher } from '@ocf/runtime';
import { agentModelKey, SecretText } from '@ocf/secrets';
import { createMemoryMetrics } from '@ocf/metrics';
import { createMemoryProfileStore, createMemoryUsageStore } from '../../src/adapters/memory-stores.ts';
import { createMemoryKeyVersions } from '../../src/adapters/secrets-manager.ts';
import { buildApp } from '../../src/app.ts';
import type { AgentProfile } from '../../src/domain/agent-profile.ts';
import { createInFlight } from '../../src/domain/budget.ts';
import { streamOf, type ChatCompletion, type ChatCompletionChunk } from '../../src/domain/openai.ts';
import { priceTable } from '../../src/domain/prices.ts';
import { createRateLimiter } from '../../src/domain/rate-limit.ts';
import { createUpstreamLimiter } from '../../src/domain/upstream-limiter.ts';
import { createGateway, type GatewaySettings } from '../../src/gateway.ts';
import { createHandlers } from '../../src/handlers/index.ts';
import type { KeyVersion, Upstream, UpstreamCall } from '../../src/ports.ts';
import { createUsageReporter } from '../../src/usage-reporter.ts';

export const ENVIRONMENT = 'test';
export const KEY_KEY = new SecretText('harness-model-key-key-0123456789abcdef');
export const START = new Date('2026-12-02T10:00:00.000Z');

/** $1 per 1,000 input tokens and $10 per 1,000 output tokens: round numbers for budget arithmetic. */
export const PRICES = priceTable({ 'fake-model': { inputPerMillionUsd: 1000, outputPerMillionUsd: 10_000 } });

export interface ScriptedUpstream extends Upstream {
  readonly calls: UpstreamCall[];
  /** What the next calls answer: a completion, chunks, or an error to throw. Default: a text reply. */
  next: ((call: UpstreamCall) => ChatCompletion | ChatCompletionChunk[] | Error)[];
}

export function textCompletion(
  text: string,
  usage = { prompt_tokens: 100, completion_tokens: 10 },
): ChatCompletion {
  return {
    id: 'chatcmpl-up',
    object: 'chat.completion',
    created: 1,
    model: 'fake-model',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

/** An upstream that answers from a script and records every call. */
export function scriptedUpstream(): ScriptedUpstream {
  const calls: UpstreamCall[] = [];
  const upstream: ScriptedUpstream = {
    kind: 'openai-compatible',
    calls,
    next: [],
    complete(call) {
      calls.push(call);
      const answer = upstream.next.shift()?.(call) ?? textCompletion('hello');
      if (answer instanceof Error) return Promise.reject(answer);
      if (Array.isArray(answer)) throw new Error('scripted chunks for a non-streamed call');
      return Promise.resolve(answer);
    },
    stream(call) {
      calls.push(call);
      const answer = upstream.next.shift()?.(call);
      if (answer instanceof Error) return Promise.reject(answer);
      const chunks = Array.isArray(answer) ? answer : [];
      return Promise.resolve(streamOf(chunks));
    },
  };
  return upstream;
}

export interface HarnessOptions {
  readonly settings?: Partial<GatewaySettings>;
  readonly upstream?: Upstream;
  readonly maxInFlight?: number;
  readonly requestsPerMinute?: number;
  readonly upstreamConcurrency?: number;
  /** The real clock and real waits (the benchmark), instead of the fake clock tests move. */
  readonly realClock?: boolean;
}

/** The gateway's app with in-memory everything, a fake clock and a scripted upstream. */
export function gatewayHarness(options: HarnessOptions = {}) {
  const clock = { now: START };
  const now = options.realClock === true ? () => new Date() : () => clock.now;
  const logger = createMemoryLogger();
  const publisher = createMemoryPublisher();
  const profiles = createMemoryProfileStore();
  const usage = createMemoryUsageStore();
  const metrics = createMemoryMetrics();
  const versions = new Map<string, KeyVersion>();
  const upstream = scriptedUpstream();
  const reporter = createUsageReporter({
    publisher,
    metrics,
    environment: ENVIRONMENT,
    logger,
    intervalMs: 60_000,
    now,
  });
  const gateway = createGateway({
    environment: ENVIRONMENT,
    modelKeyKey: () => Promise.resolve(KEY_KEY),
    keyVersions: createMemoryKeyVersions(versions),
    profiles,
    usage,
    upstream: options.upstream ?? upstream,
    limiter: createUpstreamLimiter({
      maxConcurrent: options.upstreamConcurrency ?? 8,
      maxWaiting: 100,
      now: () => now().getTime(),
      ...(options.realClock === true
        ? {}
        : {
            sleep: (ms: number) => {
              clock.now = new Date(clock.now.getTime() + ms);
              return Promise.resolve();
            },
          }),
    }),
    rate: createRateLimiter(
      { requestsPerMinute: options.requestsPerMinute ?? 1000, tokensPerMinute: 10_000_000 },
      () => now().getTime(),
    ),
    inFlight: createInFlight(options.maxInFlight ?? 4),
    prices: PRICES,
    publisher,
    logger,
    settings: {
      maxOutputTokens: 1000,
      softThresholdPercent: 80,
      departmentBudgetsUsd: {},
      throttleAttempts: 3,
      throttleBackoffBaseMs: 100,
      throttleBackoffMaxMs: 1000,
      totalsTtlMs: 0,
      ...options.settings,
    },
    onMetered: (metered) => {
      reporter.metered(metered);
    },
    now,
  });
  const handlers = createHandlers({
    profiles,
    changed: (agentId) => {
      gateway.forgetProfile(agentId);
    },
  });
  const app: FastifyInstance = buildApp({
    logger,
    gateway,
    outcome: (outcome) => {
      reporter.outcome(outcome);
    },
    maxRequestBytes: 1024 * 1024,
    readiness: {},
  });

  let version = 0;
  return {
    app,
    clock,
    logger,
    publisher,
    profiles,
    usage,
    metrics,
    versions,
    upstream,
    reporter,
    handlers,
    /** An employed agent with a current secret version; answers its model key. */
    async hire(agentId: string, profile: Partial<AgentProfile> = {}): Promise<string> {
      const at = START.toISOString();
      await profiles.write({
        agentId,
        department: 'Engineering',
        managerId: 'grace',
        status: 'active',
        at: { department: at, managerId: at, budget: at, status: at },
        version: 1,
        ...profile,
      });
      gateway.forgetProfile(agentId);
      const versionId = `00000000-0000-4000-8000-${String(++version).padStart(12, '0')}`;
      versions.set(agentId, { state: 'active', versionId });
      return agentModelKey(KEY_KEY, ENVIRONMENT, agentId, versionId).reveal();
    },
    /** Changes a stored profile as the handlers would (and tells the gateway). */
    async change(agentId: string, change: Partial<AgentProfile>): Promise<void> {
      const current = await profiles.get(agentId);
      if (current === undefined) throw new Error(`no profile ${agentId}`);
      await profiles.write({ ...current, ...change, version: current.version + 1 });
      gateway.forgetProfile(agentId);
    },
    chat(key: string | undefined, body: Record<string, unknown> = {}) {
      return app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
        payload: { model: 'fake-model', messages: [{ role: 'user', content: 'hi' }], ...body },
      });
    },
    published<T extends EventType>(type: T): DraftEvent<T>[] {
      return publisher.published.filter((e): e is DraftEvent<T> => e.type === type);
    },
  };
}

/** The `data:` payloads of a server-sent event stream, `[DONE]` included. */
export function sseData(body: string): string[] {
  return body
    .split('\n\n')
    .map((event) => event.trim())
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}
