import { FleetError } from '@ocf/errors';
import type { VersionedRecords } from '@ocf/runtime';
import type { AgentProfile } from './domain/agent-profile.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, TokenCount } from './domain/openai.ts';

/** The gateway's copy of each agent (domain/agent-profile.ts), one record per agent. */
export type ProfileStore = VersionedRecords<AgentProfile>;

export interface UsageTotals {
  readonly calls: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly costMicro: number;
}

export const NO_USAGE: UsageTotals = { calls: 0, tokensIn: 0, tokensOut: 0, costMicro: 0 };

/** Month totals of the three scopes one call counts towards. */
export interface ScopeTotals {
  readonly agent: UsageTotals;
  readonly department: UsageTotals;
  readonly fleet: UsageTotals;
}

export interface UsageEntry {
  readonly agentId: string;
  readonly department: string;
  readonly model: string;
  readonly month: string;
  readonly day: string;
  readonly tokens: TokenCount;
  readonly costMicro: number;
}

/** A notice published at most once per month and limit (the soft threshold, a spent budget). */
export interface NoticeClaim {
  readonly kind: 'threshold' | 'exhausted';
  readonly scope: 'agent' | 'department' | 'fleet';
  /** The agent id, the department's name, or `fleet`. */
  readonly owner: string;
  readonly month: string;
  readonly limitMicro: number;
}

/**
 * Usage totals, kept durably (DynamoDB: adapters/dynamo-usage-store.ts): per agent per month
 * and per day, per department and for the fleet per month. Every write is an atomic add, so
 * concurrent calls (and several gateway tasks) never lose one another's usage.
 */
export interface UsageStore {
  /** Adds one call; answers the three month totals after it. */
  add(entry: UsageEntry): Promise<ScopeTotals>;
  monthTotals(agentId: string, department: string, month: string): Promise<ScopeTotals>;
  /** True for the first claim of a notice (a conditional write), false for every repeat. */
  claimNotice(claim: NoticeClaim): Promise<boolean>;
}

export type KeyVersion =
  | { readonly state: 'active'; readonly versionId: string | undefined }
  | { readonly state: 'scheduled-for-deletion' }
  | { readonly state: 'absent' };

/**
 * Which version of an agent's secret is current (DescribeSecret: metadata only, never the value).
 * A model key is good only for the version it was written into.
 */
export interface KeyVersions {
  /**
   * `fresh`: read again, because a key names `claimedVersionId`, which is not the version this
   * reader last saw as current (a new task after a rotation).
   */
  current(
    agentId: string,
    options?: { readonly fresh?: boolean; readonly claimedVersionId?: string },
  ): Promise<KeyVersion>;
}

export type { MetricsSink } from '@ocf/metrics';

export interface UpstreamCall {
  /** The request as the agent sent it, with the model and the output cap the gateway decided. */
  readonly request: ChatRequest;
  readonly signal: AbortSignal;
}

/**
 * Where model calls go: an OpenAI-compatible endpoint, Bedrock's Converse API, or nothing (no
 * model configured). Both calls fail with UpstreamError before anything is returned, so a
 * throttled call can be retried; a stream that breaks later just ends.
 */
export interface Upstream {
  readonly kind: 'openai-compatible' | 'bedrock' | 'none';
  complete(call: UpstreamCall): Promise<ChatCompletion>;
  stream(call: UpstreamCall): Promise<AsyncIterable<ChatCompletionChunk>>;
}

/** The upstream refused or failed a call. `throttled`: slow down and try again. */
export class UpstreamError extends FleetError {
  readonly status: number;
  readonly throttled: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: { status: number; throttled?: boolean; retryAfterMs?: number | undefined; cause?: unknown },
  ) {
    const throttled = options.throttled ?? options.status === 429;
    super(throttled ? 'UPSTREAM_THROTTLED' : 'UPSTREAM_FAILED', message, {
      retryable: throttled || options.status >= 500,
      cause: options.cause,
    });
    this.status = options.status;
    this.throttled = throttled;
    this.retryAfterMs = options.retryAfterMs;
  }
}
