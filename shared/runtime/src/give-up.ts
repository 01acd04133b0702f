import { errorMessage, isRetryable } from '@ocf/errors';
import { escapeControlCharacters, type CascadeStep, type EventType } from '@ocf/events';
import type { EventHandler } from './consumer.ts';

/** CascadeStepFailed's `reason` holds at most this many characters. */
const MAX_REASON_LENGTH = 2000;

/**
 * Makes a step's handler say so when it gives up: on a permanent failure, or on a retryable one
 * at the last delivery the consumer will make, it publishes CascadeStepFailed for `step` so the
 * agent's status shows why. The error still goes up, and the consumer dead-letters the message
 * with the same reason. Reasons are our own error messages, which must never carry a secret.
 */
export function reportingGiveUp<T extends EventType>(
  step: CascadeStep,
  handler: EventHandler<T>,
): EventHandler<T> {
  return async (event, context) => {
    try {
      await handler(event, context);
    } catch (error) {
      const agentId = 'agentId' in event.data ? event.data.agentId : undefined;
      if (agentId !== undefined && (!isRetryable(error) || context.isFinalAttempt)) {
        const reason = truncate(
          escapeControlCharacters(errorMessage(error).trim()) || 'unknown failure',
          MAX_REASON_LENGTH,
        );
        try {
          await context.emit('CascadeStepFailed', { agentId, step, reason });
        } catch (publishError) {
          // The dead letter still carries the reason; do not let this failure replace it.
          context.logger.error('could not publish CascadeStepFailed', { error: publishError });
        }
      }
      throw error;
    }
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
