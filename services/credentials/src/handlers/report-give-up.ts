import { errorMessage, isRetryable } from '@ocf/errors';
import type { EventHandler } from '@ocf/runtime';

export type CredentialsTrigger = 'AgentHired' | 'AgentRetired' | 'CredentialsRotationRequested';

/** CascadeStepFailed's `reason` holds at most this many characters. */
const MAX_REASON_LENGTH = 2000;

/**
 * Makes a handler say so when it gives up: on a permanent failure, or on a retryable one at the
 * last delivery the consumer will make, it publishes CascadeStepFailed (step `credentials`) so the
 * agent's status shows why. The error still goes up, and the consumer dead-letters the message
 * with the same reason. Reasons are our own error messages, which name secrets, never values.
 */
export function reportingGiveUp<T extends CredentialsTrigger>(handler: EventHandler<T>): EventHandler<T> {
  return async (event, context) => {
    try {
      await handler(event, context);
    } catch (error) {
      if (!isRetryable(error) || context.isFinalAttempt) {
        const reason = truncate(errorMessage(error).trim() || 'unknown failure', MAX_REASON_LENGTH);
        try {
          await context.emit('CascadeStepFailed', {
            agentId: event.data.agentId,
            step: 'credentials',
            reason,
          });
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
