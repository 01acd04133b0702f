import { errorMessage, isRetryable } from '@ocf/errors';
import { escapeControlCharacters, type EventDataInput, type EventType } from '@ocf/events';
import type { Logger } from '@ocf/logging';
import type { EventPublisher } from '@ocf/runtime';
import type { ParkedAgent } from '../ports.ts';
import { withAgentLock } from './agent-lock.ts';
import type { BridgeDeps } from './deps.ts';
import { reconcileAgent, type ReconcileOutcome } from './reconcile-agent.ts';

export interface SweeperDeps extends BridgeDeps {
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  /** How long an agent may stay parked before the bridge gives up on it and says so. */
  readonly maxParkedMs: number;
}

/** Parked agents looked at per sweep; the rest wait for the next. */
const SWEEP_BATCH = 25;
/** CascadeStepFailed's `reason` holds at most this many characters. */
const MAX_REASON_LENGTH = 2000;

/**
 * Finishes the work of agents parked by a failure that may pass (see act-for-agent.ts): for each,
 * reconcile again and, once that succeeds, publish what its cascade is waiting for. An agent still
 * failing stays parked for the next sweep, until `maxParkedMs`; then its step is reported failed.
 */
export async function sweepParkedAgents(deps: SweeperDeps, signal: AbortSignal): Promise<number> {
  const parked = await deps.store.parked(SWEEP_BATCH);
  let finished = 0;
  for (const agent of parked) {
    if (signal.aborted) break;
    if (await retryParked(deps, agent, signal)) finished++;
  }
  return finished;
}

async function retryParked(deps: SweeperDeps, agent: ParkedAgent, signal: AbortSignal): Promise<boolean> {
  const logger = deps.logger.with({ agentId: agent.agentId, correlationId: agent.correlationId });
  const context = { logger, signal };
  try {
    const outcome = await withAgentLock(deps, agent.agentId, context, async () => {
      const stored = await deps.store.getAgent(agent.agentId);
      return stored === undefined ? undefined : reconcileAgent(deps, stored, context);
    });
    await report(deps, agent, outcome);
    await deps.store.unpark(agent.agentId, agent.parkedAt);
    logger.info('parked agent finished', { parkedAt: agent.parkedAt });
    return true;
  } catch (error) {
    const parkedForMs = deps.now().getTime() - Date.parse(agent.parkedAt);
    if (isRetryable(error) && parkedForMs < deps.maxParkedMs) {
      logger.info('parked agent still failing; next sweep tries again', { error: errorMessage(error) });
      return false;
    }
    const reason = `parked since ${agent.parkedAt} (${agent.reason}); last failure: ${errorMessage(error)}`;
    logger.error('giving up on a parked agent', { reason });
    await emit(deps, agent, 'CascadeStepFailed', {
      agentId: agent.agentId,
      step: 'chat-account',
      reason: escapeControlCharacters(reason).slice(0, MAX_REASON_LENGTH),
    });
    await deps.store.unpark(agent.agentId, agent.parkedAt);
    return false;
  }
}

async function report(
  deps: SweeperDeps,
  agent: ParkedAgent,
  outcome: ReconcileOutcome | undefined,
): Promise<void> {
  if (outcome?.kind === 'ready') {
    await emit(deps, agent, 'ChatAccountReady', {
      agentId: agent.agentId,
      matrixUserId: outcome.matrixUserId,
    });
  } else if (outcome?.kind === 'deactivated') {
    await emit(deps, agent, 'ChatAccountDeactivated', {
      agentId: agent.agentId,
      matrixUserId: outcome.matrixUserId,
    });
  }
}

async function emit<T extends EventType>(
  deps: SweeperDeps,
  agent: ParkedAgent,
  type: T,
  data: EventDataInput<T>,
): Promise<void> {
  await deps.publisher.emit(type, data, {
    correlationId: agent.correlationId,
    causationId: agent.causationId,
  });
}
