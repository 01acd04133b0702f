import { randomUUID } from 'node:crypto';
import type { Logger } from '@ocf/logging';
import type { EventPublisher } from '@ocf/runtime';
import { claimedModelKeyAgent, verifyAgentModelKey, type SecretText } from '@ocf/secrets';
import type { AgentProfile } from './domain/agent-profile.ts';
import { admit, dueNotices, type InFlight, type Limits, type Scope } from './domain/budget.ts';
import { dayOf, monthOf } from './domain/months.ts';
import {
  assistantReply,
  assistantReplyChunks,
  requestedMaxTokens,
  streamOf,
  tokensOf,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatRequest,
  type TokenCount,
} from './domain/openai.ts';
import { costMicroUsd, microToUsd, priceOf, usdToMicro, type PriceTable } from './domain/prices.ts';
import type { RateLimiter } from './domain/rate-limit.ts';
import { throttleBackoffMs, type UpstreamLimiter } from './domain/upstream-limiter.ts';
import {
  UpstreamError,
  type KeyVersions,
  type ProfileStore,
  type ScopeTotals,
  type Upstream,
  type UsageStore,
  type UsageTotals,
} from './ports.ts';

export interface GatewaySettings {
  /** The fleet's model: replaces whatever model the agent asks for. Unset: the agent's choice goes. */
  readonly model?: string | undefined;
  /** Every call's output is capped at this many tokens (part of the overspend bound). */
  readonly maxOutputTokens: number;
  /** Share of an agent's budget at which its manager is told (the soft threshold), in percent. */
  readonly softThresholdPercent: number;
  readonly departmentBudgetsUsd: Readonly<Record<string, number>>;
  readonly fleetBudgetUsd?: number | undefined;
  /** Tries per call when the upstream throttles, and the back-off between them. */
  readonly throttleAttempts: number;
  readonly throttleBackoffBaseMs: number;
  readonly throttleBackoffMaxMs: number;
  /** How long month totals read from the store are trusted before they are read again. */
  readonly totalsTtlMs: number;
}

export interface GatewayDeps {
  readonly environment: string;
  /** The fleet's model-key key (cached by its adapter); undefined until credentials made it (the first hire). */
  readonly modelKeyKey: () => Promise<SecretText | undefined>;
  readonly keyVersions: KeyVersions;
  readonly profiles: ProfileStore;
  readonly usage: UsageStore;
  readonly upstream: Upstream;
  readonly limiter: UpstreamLimiter;
  readonly rate: RateLimiter;
  readonly inFlight: InFlight;
  readonly prices: PriceTable;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  readonly settings: GatewaySettings;
  /** Told after every metered call: the coalesced reporter (usage-reporter.ts). */
  readonly onMetered: (metered: Metered) => void;
  readonly now?: () => Date;
}

/** One call as it was metered. */
export interface Metered {
  readonly agentId: string;
  readonly department: string;
  readonly model: string;
  readonly month: string;
  readonly tokens: TokenCount;
  readonly costMicro: number;
  readonly totals: ScopeTotals;
  readonly monthlyBudgetUsd: number | undefined;
}

/** Why a call did not reach the model, as the route answers it. */
export type Refusal =
  | { readonly kind: 'unauthenticated'; readonly message: string }
  | { readonly kind: 'invalid'; readonly message: string; readonly field: string }
  | { readonly kind: 'rate-limited'; readonly message: string; readonly retryAfterMs: number }
  | { readonly kind: 'busy'; readonly message: string }
  | { readonly kind: 'upstream'; readonly status: number; readonly message: string };

export class RefusedError extends Error {
  readonly refusal: Refusal;
  constructor(refusal: Refusal) {
    super(refusal.message);
    this.name = 'RefusedError';
    this.refusal = refusal;
  }
}

/** An authenticated agent. */
export interface Caller {
  readonly agentId: string;
  readonly profile: AgentProfile;
}

export type CallResult = (
  | { readonly kind: 'completion'; readonly completion: ChatCompletion }
  | { readonly kind: 'stream'; readonly chunks: AsyncIterable<ChatCompletionChunk> }
) & {
  /** `budget-refused`: the answer is the gateway's own, saying the budget is spent. */
  readonly outcome: 'ok' | 'budget-refused';
};

/**
 * The gateway's one use case: an agent's chat completion, from its key to its bill. Who is
 * calling (the key, its secret version, the agent's employment), whether it may (in-flight cap,
 * rate limits, budgets), the call itself (fleet-wide concurrency, back-off on throttling), and
 * what it cost (tokens priced, totals added durably, notices, the coalesced report).
 */
export function createGateway(deps: GatewayDeps) {
  const { settings, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const totalsCache = new Map<string, { totals: UsageTotals; readAt: number }>();
  const profileCache = new Map<string, AgentProfile>();

  const cacheKey = (scope: Scope, owner: string, month: string) => `${scope}|${owner}|${month}`;

  function remember(agentId: string, department: string, month: string, totals: ScopeTotals): void {
    const at = now().getTime();
    totalsCache.set(cacheKey('agent', agentId, month), { totals: totals.agent, readAt: at });
    totalsCache.set(cacheKey('department', department, month), { totals: totals.department, readAt: at });
    totalsCache.set(cacheKey('fleet', 'fleet', month), { totals: totals.fleet, readAt: at });
  }

  async function monthTotals(agentId: string, department: string, month: string): Promise<ScopeTotals> {
    const at = now().getTime();
    const fresh = (scope: Scope, owner: string) => {
      const hit = totalsCache.get(cacheKey(scope, owner, month));
      return hit !== undefined && at - hit.readAt < settings.totalsTtlMs ? hit.totals : undefined;
    };
    const agent = fresh('agent', agentId);
    const dept = fresh('department', department);
    const fleet = fresh('fleet', 'fleet');
    if (agent !== undefined && dept !== undefined && fleet !== undefined)
      return { agent, department: dept, fleet };
    const read = await deps.usage.monthTotals(agentId, department, month);
    remember(agentId, department, month, read);
    return read;
  }

  function limitsOf(profile: AgentProfile): Limits {
    const department = settings.departmentBudgetsUsd[profile.department];
    return {
      ...(profile.monthlyBudgetUsd === undefined ? {} : { agent: usdToMicro(profile.monthlyBudgetUsd) }),
      ...(department === undefined ? {} : { department: usdToMicro(department) }),
      ...(settings.fleetBudgetUsd === undefined ? {} : { fleet: usdToMicro(settings.fleetBudgetUsd) }),
    };
  }

  async function profileOf(agentId: string): Promise<AgentProfile | undefined> {
    const cached = profileCache.get(agentId);
    if (cached !== undefined) return cached;
    const stored = await deps.profiles.get(agentId);
    if (stored !== undefined) profileCache.set(agentId, stored);
    return stored;
  }

  /** Publishes each due notice once per month and limit (the store's claim is the once). */
  async function notify(
    profile: AgentProfile,
    month: string,
    totals: ScopeTotals,
    limits: Limits,
  ): Promise<void> {
    const spend = {
      agent: totals.agent.costMicro,
      department: totals.department.costMicro,
      fleet: totals.fleet.costMicro,
    };
    for (const notice of dueNotices(spend, limits, settings.softThresholdPercent)) {
      const owner =
        notice.scope === 'agent'
          ? profile.agentId
          : notice.scope === 'department'
            ? profile.department
            : 'fleet';
      const first = await deps.usage.claimNotice({
        kind: notice.kind,
        scope: notice.scope,
        owner,
        month,
        limitMicro: notice.limitMicro,
      });
      if (!first) continue;
      const spentUsd = microToUsd(notice.spentMicro);
      const budgetUsd = microToUsd(notice.limitMicro);
      if (notice.kind === 'threshold') {
        await deps.publisher.emit('AgentBudgetThresholdReached', {
          agentId: profile.agentId,
          managerId: profile.managerId,
          month,
          spentUsd,
          budgetUsd,
          thresholdPercent: settings.softThresholdPercent,
        });
      } else {
        await deps.publisher.emit('AgentBudgetExhausted', {
          agentId: profile.agentId,
          managerId: profile.managerId,
          department: profile.department,
          month,
          scope: notice.scope,
          spentUsd,
          budgetUsd,
        });
      }
      logger.info(notice.kind === 'threshold' ? 'budget threshold reached' : 'budget exhausted', {
        agentId: profile.agentId,
        scope: notice.scope,
        month,
        spentUsd,
        budgetUsd,
      });
    }
  }

  /** Who holds this key: verified MAC, an agent the gateway knows and employs, the current secret version. */
  async function authenticate(authorization: string | undefined): Promise<Caller> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    const refuse = (message: string): never => {
      throw new RefusedError({ kind: 'unauthenticated', message });
    };
    if (token === undefined)
      return refuse("no model key: send the agent's model key as 'Authorization: Bearer <key>'");
    const keyKey = await deps.modelKeyKey();
    if (keyKey === undefined) return refuse('this fleet has issued no model keys yet');
    const verified = verifyAgentModelKey(keyKey, deps.environment, token);
    if (verified === undefined) {
      const claimed = claimedModelKeyAgent(token);
      return refuse(
        claimed === undefined
          ? 'not a model key of this fleet'
          : `this model key is not valid for agent ${claimed}`,
      );
    }
    const { agentId, versionId } = verified;
    const profile = await profileOf(agentId);
    if (profile === undefined) return refuse(`agent ${agentId} is not known to the model gateway (yet)`);
    if (profile.status === 'retired') return refuse(`agent ${agentId} is retired; its model key is revoked`);
    let version = await deps.keyVersions.current(agentId);
    if (version.state === 'active' && version.versionId !== versionId) {
      // A new task after a rotation brings the new key before our cached view moved on.
      version = await deps.keyVersions.current(agentId, { fresh: true, claimedVersionId: versionId });
    }
    if (version.state !== 'active')
      return refuse(`agent ${agentId}'s credentials are revoked; its model key is refused`);
    if (version.versionId !== versionId)
      return refuse(`this model key of agent ${agentId} was replaced by a credential rotation`);
    return { agentId, profile };
  }

  /** Calls the upstream inside the fleet's concurrency cap, backing off and retrying when throttled. */
  async function forward<T>(
    call: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
  ): Promise<{ result: T; release: () => void }> {
    for (let attempt = 1; ; attempt++) {
      let release: () => void;
      try {
        release = await deps.limiter.acquire(signal);
      } catch (error) {
        if ((error as { code?: string }).code === 'UPSTREAM_BUSY') {
          throw new RefusedError({ kind: 'busy', message: (error as Error).message });
        }
        throw error;
      }
      try {
        return { result: await call(signal), release };
      } catch (error) {
        release();
        if (
          error instanceof UpstreamError &&
          error.throttled &&
          attempt < settings.throttleAttempts &&
          !signal.aborted
        ) {
          const delay =
            error.retryAfterMs ??
            throttleBackoffMs(attempt, settings.throttleBackoffBaseMs, settings.throttleBackoffMaxMs);
          deps.limiter.pause(delay);
          logger.warn('upstream throttled; backing off', {
            attempt,
            delayMs: delay,
            upstream: deps.upstream.kind,
          });
          continue;
        }
        if (error instanceof UpstreamError) {
          throw new RefusedError({
            kind: 'upstream',
            status: error.throttled ? 429 : error.status >= 500 ? 502 : error.status,
            message: error.message,
          });
        }
        throw error;
      }
    }
  }

  async function meter(caller: Caller, model: string, tokens: TokenCount, limits: Limits): Promise<void> {
    const { profile } = caller;
    const at = now();
    const month = monthOf(at);
    const costMicro = costMicroUsd(priceOf(deps.prices, model), tokens);
    deps.rate.spend(caller.agentId, tokens.tokensIn + tokens.tokensOut);
    const totals = await deps.usage.add({
      agentId: caller.agentId,
      department: profile.department,
      model,
      month,
      day: dayOf(at),
      tokens,
      costMicro,
    });
    remember(caller.agentId, profile.department, month, totals);
    deps.onMetered({
      agentId: caller.agentId,
      department: profile.department,
      model,
      month,
      tokens,
      costMicro,
      totals,
      monthlyBudgetUsd: profile.monthlyBudgetUsd,
    });
    await notify(profile, month, totals, limits);
  }

  return {
    authenticate,

    /** The models an agent may name: the fleet's, or any when the fleet leaves it to the agent. */
    models: (): string[] => (settings.model === undefined ? [] : [settings.model]),

    /** Forgets what the handlers changed, so the next call reads it again. */
    forgetProfile(agentId: string): void {
      profileCache.delete(agentId);
    },

    /**
     * One chat completion for an authenticated agent. Refusals that a person should read (a spent
     * budget) come back as an assistant reply; the rest throw RefusedError for the route to answer.
     */
    async call(caller: Caller, request: ChatRequest, signal: AbortSignal): Promise<CallResult> {
      const { agentId, profile } = caller;
      if (!deps.inFlight.enter(agentId)) {
        throw new RefusedError({
          kind: 'rate-limited',
          message: `agent ${agentId} already has ${deps.inFlight.count(agentId)} model calls running; wait for one to finish`,
          retryAfterMs: 1_000,
        });
      }
      let left = false;
      const leave = (): void => {
        if (!left) deps.inFlight.leave(agentId);
        left = true;
      };
      try {
        const rate = deps.rate.take(agentId);
        if (!rate.allowed) {
          throw new RefusedError({
            kind: 'rate-limited',
            message: `agent ${agentId} is over its ${rate.limit === 'requests' ? 'requests' : 'tokens'}-per-minute limit; try again in ${Math.ceil(rate.retryAfterMs / 1000)} s`,
            retryAfterMs: rate.retryAfterMs,
          });
        }
        const month = monthOf(now());
        const limits = limitsOf(profile);
        const totals = await monthTotals(agentId, profile.department, month);
        const admission = admit(
          {
            agent: totals.agent.costMicro,
            department: totals.department.costMicro,
            fleet: totals.fleet.costMicro,
          },
          limits,
        );
        const model = settings.model ?? request.model;
        if (!admission.admitted) {
          // A budget lowered below what is spent is announced now, not at the next call that costs.
          await notify(profile, month, totals, limits);
          leave();
          const text = budgetRefusal(
            admission.scope,
            profile,
            admission.spentMicro,
            admission.limitMicro,
            month,
          );
          logger.info('call refused: budget spent', { agentId, scope: admission.scope, month });
          const id = `chatcmpl-${randomUUID()}`;
          const created = Math.floor(now().getTime() / 1000);
          if (request.stream === true) {
            const chunks = assistantReplyChunks(
              model,
              text,
              id,
              created,
              request.stream_options?.include_usage === true,
            );
            return {
              kind: 'stream',
              outcome: 'budget-refused',
              chunks: streamOf(chunks),
            };
          }
          return {
            kind: 'completion',
            outcome: 'budget-refused',
            completion: assistantReply(model, text, id, created),
          };
        }

        const asked = requestedMaxTokens(request);
        const maxTokens = Math.min(asked ?? settings.maxOutputTokens, settings.maxOutputTokens);
        const { max_completion_tokens: _c, max_tokens: _m, ...rest } = request;
        const upstreamRequest: ChatRequest = { ...rest, model, max_tokens: maxTokens };

        if (request.stream !== true) {
          const { result, release } = await forward(
            (s) => deps.upstream.complete({ request: upstreamRequest, signal: s }),
            signal,
          );
          release();
          const tokens = tokensOf(result.usage) ?? estimate(upstreamRequest, JSON.stringify(result.choices));
          await meter(caller, model, tokens, limits);
          leave();
          return { kind: 'completion', outcome: 'ok', completion: { ...result, model: request.model } };
        }

        const { result: upstream, release } = await forward(
          (s) => deps.upstream.stream({ request: upstreamRequest, signal: s }),
          signal,
        );
        const includeUsage = request.stream_options?.include_usage === true;
        const self = { meter, leave, logger };
        const chunks = (async function* (): AsyncGenerator<ChatCompletionChunk> {
          let usage: TokenCount | undefined;
          let streamed = '';
          try {
            for await (const chunk of upstream) {
              const counted = tokensOf(chunk.usage);
              if (counted !== undefined) usage = counted;
              for (const choice of chunk.choices) streamed += choice.delta.content ?? '';
              if (chunk.choices.length === 0 && chunk.usage !== undefined && !includeUsage) continue;
              yield { ...chunk, model: request.model };
            }
          } catch (error) {
            // A throttle inside a stream (Bedrock's throttlingException frame) cannot be retried,
            // the agent has part of the answer, but it still tells the fleet to back off.
            if (error instanceof UpstreamError && error.throttled) {
              deps.limiter.pause(
                error.retryAfterMs ??
                  throttleBackoffMs(1, settings.throttleBackoffBaseMs, settings.throttleBackoffMaxMs),
              );
            }
            throw error;
          } finally {
            release();
            try {
              await self.meter(caller, model, usage ?? estimate(upstreamRequest, streamed), limits);
            } catch (error) {
              self.logger.error('could not meter a streamed call', { agentId, error });
            }
            self.leave();
          }
        })();
        return { kind: 'stream', outcome: 'ok', chunks };
      } catch (error) {
        leave();
        throw error;
      }
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;

/**
 * Tokens of a call whose upstream said nothing about usage (a stream cut short): about four bytes
 * a token, the usual rate for English text and code. Over-counting is the safe side of a budget.
 */
function estimate(request: ChatRequest, output: string): TokenCount {
  const input = Buffer.byteLength(JSON.stringify(request.messages));
  return { tokensIn: Math.ceil(input / 4), tokensOut: Math.ceil(Buffer.byteLength(output) / 4) };
}

function budgetRefusal(
  scope: Scope,
  profile: AgentProfile,
  spentMicro: number,
  limitMicro: number,
  month: string,
): string {
  const money = (micro: number) => `$${microToUsd(micro).toFixed(2)}`;
  const whose =
    scope === 'agent'
      ? 'my own monthly model budget'
      : scope === 'department'
        ? `the ${profile.department} department's monthly model budget`
        : "the fleet's monthly model budget";
  return (
    `I can't work on this right now: ${whose} for ${month} is spent (${money(spentMicro)} of ${money(limitMicro)}). ` +
    `My manager has been told. I will answer again once the budget is raised or the month turns.`
  );
}
