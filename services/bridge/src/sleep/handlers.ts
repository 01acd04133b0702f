import type { AnyFleetEvent, EventType } from '@ocf/events';
import type { EventHandler, HandlerMap } from '@ocf/runtime';
import type { SleepScheduler } from './scheduler.ts';

/**
 * The bridge's handlers with the sleep scheduler's part added (ADR 0018): the org events it already
 * handles also tell the scheduler each agent's level, policy, budget, hire and retirement; AgentAsleep,
 * AgentAwake and AgentRunning tell it who is awake. The scheduler's part runs after the bridge's
 * own work, so a failure there retries both (both are idempotent).
 */
export function withSleepScheduler(handlers: HandlerMap, scheduler: SleepScheduler): HandlerMap {
  const also = <T extends EventType>(handler: EventHandler<T> | undefined): EventHandler<T> => {
    const wrapped: EventHandler<T> = async (event, context) => {
      if (handler !== undefined) await handler(event, context);
      await scheduler.onFleetEvent(event as unknown as AnyFleetEvent);
    };
    return handler === undefined
      ? wrapped
      : Object.assign(wrapped, { onRejected: (handler as { onRejected?: unknown }).onRejected });
  };
  return {
    ...handlers,
    AgentHired: also(handlers.AgentHired),
    AgentUpdated: also(handlers.AgentUpdated),
    AgentRetired: also(handlers.AgentRetired),
    AgentBudgetExhausted: also(handlers.AgentBudgetExhausted),
    AgentAsleep: also<'AgentAsleep'>(undefined),
    AgentAwake: also<'AgentAwake'>(undefined),
    AgentRunning: also<'AgentRunning'>(undefined),
  };
}
