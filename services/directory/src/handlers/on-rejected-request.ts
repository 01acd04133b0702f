import {
  catalogue,
  escapeControlCharacters,
  FLEET_SOURCE_PREFIX,
  type EventDataInput,
  type Rejection,
} from '@ocf/events';
import type { RejectionHandler } from '@ocf/runtime';

const MAX_REASON_LENGTH = 2000;

/**
 * An outside AgentHired / AgentRetired that could not even be parsed (wrong data, metadata or
 * version) is answered on the bus like a refusal of the org rules: HireRejected with the request's
 * event id and why, whenever the agent id it names can still be read. The consumer then moves it
 * to the DLQ with its reason, as it does every message that can never succeed (docs/events.md,
 * "When an outside request is refused").
 */
export function onRejectedRequest(requestType: 'AgentHired' | 'AgentRetired'): RejectionHandler {
  return async (rejection, ctx) => {
    const answer = hireRejectedFor(requestType, rejection);
    if (answer === undefined) {
      ctx.logger.warn('refused request names no readable agent id; only the DLQ will say why', {
        reason: rejection.message,
      });
      return;
    }
    await ctx.emit('HireRejected', answer);
    ctx.logger.warn('refused request answered with HireRejected', { agentId: answer.agentId });
  };
}

/** The HireRejected owed for a rejected request, or undefined when it names no readable agent (or is the fleet's own). */
export function hireRejectedFor(
  requestType: 'AgentHired' | 'AgentRetired',
  rejection: Rejection,
): EventDataInput<'HireRejected'> | undefined {
  const { request, eventId } = rejection;
  if (request === undefined || eventId === undefined) return undefined;
  // The fleet's own events are never routed here; one that was is a bug, not a publisher to answer.
  if (request.source.startsWith(FLEET_SOURCE_PREFIX)) return undefined;
  const data = request.data;
  const raw =
    typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['agentId'] : undefined;
  // Readable means HireRejected can carry it: any short text, a malformed id included (that may be
  // the very thing refused).
  const agentId = catalogue.HireRejected.schema.shape.agentId.safeParse(raw);
  const requestEventId = catalogue.HireRejected.schema.shape.requestEventId.safeParse(eventId);
  if (!agentId.success || !requestEventId.success) return undefined;
  const reason = escapeControlCharacters(rejection.message).trim() || rejection.reason;
  return {
    agentId: agentId.data,
    requestEventId: requestEventId.data,
    requestType,
    reason: reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH - 1)}…`,
  };
}
