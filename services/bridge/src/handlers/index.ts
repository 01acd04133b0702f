import type { HandlerMap } from '@ocf/runtime';
import type { BridgeDeps } from '../reconcile/deps.ts';
import { onAgentHired } from './on-agent-hired.ts';
import { onAgentRetired } from './on-agent-retired.ts';
import { onAgentUpdated } from './on-agent-updated.ts';
import { onCredentialsIssued } from './on-credentials-issued.ts';
import { onCredentialsRotated } from './on-credentials-rotated.ts';
import { reportingGiveUp } from './report-give-up.ts';

/**
 * The bridge's event handlers: exactly its subscriptions in shared/routing (startService checks).
 * Each records what its event says and reconciles the agent; each reports CascadeStepFailed when
 * it gives up.
 */
export function createHandlers(deps: BridgeDeps) {
  return {
    AgentHired: reportingGiveUp(onAgentHired(deps)),
    AgentUpdated: reportingGiveUp(onAgentUpdated(deps)),
    AgentRetired: reportingGiveUp(onAgentRetired(deps)),
    CredentialsIssued: reportingGiveUp(onCredentialsIssued(deps)),
    CredentialsRotated: reportingGiveUp(onCredentialsRotated(deps)),
  } satisfies HandlerMap;
}
