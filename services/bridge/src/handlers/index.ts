import { reportingGiveUp, type HandlerMap } from '@ocf/runtime';
import type { BridgeDeps } from '../reconcile/deps.ts';
import { onAgentHired } from './on-agent-hired.ts';
import { onAgentRetired } from './on-agent-retired.ts';
import { onAgentUpdated } from './on-agent-updated.ts';
import { onBudgetNotice } from './on-budget-notice.ts';
import { onCredentialsIssued } from './on-credentials-issued.ts';
import { onCredentialsRotated } from './on-credentials-rotated.ts';

/**
 * The bridge's event handlers: exactly its subscriptions in shared/routing (startService checks).
 * Each records what its event says and reconciles the agent; each reports CascadeStepFailed when
 * it gives up.
 */
export function createHandlers(deps: BridgeDeps) {
  return {
    AgentHired: reportingGiveUp('chat-account', onAgentHired(deps)),
    AgentUpdated: reportingGiveUp('chat-account', onAgentUpdated(deps)),
    AgentRetired: reportingGiveUp('chat-account', onAgentRetired(deps)),
    CredentialsIssued: reportingGiveUp('chat-account', onCredentialsIssued(deps)),
    CredentialsRotated: reportingGiveUp('chat-account', onCredentialsRotated(deps)),
    // Notices, not a cascade step: a notice that cannot be sent goes to the DLQ with its reason.
    AgentBudgetThresholdReached: onBudgetNotice(deps),
    AgentBudgetExhausted: onBudgetNotice(deps),
  } satisfies HandlerMap;
}
