import { ConflictError, ValidationError } from '@ocf/errors';
import type { EventHandler } from '@ocf/runtime';
import type { Directory } from '../directory.ts';

/**
 * An outside system asked for a hire by publishing AgentHired. The directory takes it exactly as
 * a REST hire: org rules, idempotent record, then its own AgentHired for the cascade. A refusal
 * is answered on the bus (HireRejected), where the requester can see it.
 */
export function onAgentHired(directory: Directory): EventHandler<'AgentHired'> {
  return async (event, ctx) => {
    try {
      const { agent, created } = await directory.hire(event.data, {
        correlationId: event.metadata.correlationId,
        causationId: event.metadata.eventId,
      });
      ctx.logger.info(created ? 'hire recorded from the bus' : 'hire already recorded', {
        status: agent.status,
      });
    } catch (error) {
      if (!(error instanceof ValidationError || error instanceof ConflictError)) throw error;
      ctx.logger.warn('hire refused', { reason: error.message });
      await ctx.emit('HireRejected', {
        agentId: event.data.agentId,
        requestEventId: event.metadata.eventId,
        requestType: 'AgentHired',
        reason:
          error instanceof ValidationError && error.field !== undefined
            ? `${error.field}: ${error.message}`
            : error.message,
      });
    }
  };
}
