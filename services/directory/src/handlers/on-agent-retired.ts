import { ConflictError, NotFoundError } from '@ocf/errors';
import type { EventHandler } from '@ocf/runtime';
import type { Directory } from '../directory.ts';

/** An outside system asked for a retirement: same path as the REST call, refusals on the bus. */
export function onAgentRetired(directory: Directory): EventHandler<'AgentRetired'> {
  return async (event, ctx) => {
    try {
      await directory.retire(event.data.agentId, event.data.reason, {
        correlationId: event.metadata.correlationId,
        causationId: event.metadata.eventId,
      });
    } catch (error) {
      if (!(error instanceof NotFoundError || error instanceof ConflictError)) throw error;
      ctx.logger.warn('retirement refused', { reason: error.message });
      await ctx.emit('HireRejected', {
        agentId: event.data.agentId,
        requestEventId: event.metadata.eventId,
        requestType: 'AgentRetired',
        reason: error.message,
      });
    }
  };
}
