import { reportingGiveUp, type HandlerMap } from '@ocf/runtime';
import type { CredentialsDeps } from './deps.ts';
import { onAgentHired } from './on-agent-hired.ts';
import { onAgentRetired } from './on-agent-retired.ts';
import { onCredentialsRotationRequested } from './on-credentials-rotation-requested.ts';

export type { CredentialsDeps } from './deps.ts';

/**
 * The credentials service's event handlers: exactly its subscriptions in shared/routing
 * (startService checks). Each reports CascadeStepFailed when it gives up.
 */
export function createHandlers(deps: CredentialsDeps) {
  return {
    AgentHired: reportingGiveUp('credentials', onAgentHired(deps)),
    AgentRetired: reportingGiveUp('credentials', onAgentRetired(deps)),
    CredentialsRotationRequested: reportingGiveUp('credentials', onCredentialsRotationRequested(deps)),
  } satisfies HandlerMap;
}
