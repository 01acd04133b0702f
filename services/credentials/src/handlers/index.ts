import type { HandlerMap } from '@ocf/runtime';
import type { CredentialsDeps } from './deps.ts';
import { onAgentHired } from './on-agent-hired.ts';
import { onAgentRetired } from './on-agent-retired.ts';
import { onCredentialsRotationRequested } from './on-credentials-rotation-requested.ts';
import { reportingGiveUp } from './report-give-up.ts';

export type { CredentialsDeps } from './deps.ts';

/**
 * The credentials service's event handlers: exactly its subscriptions in shared/routing
 * (startService checks). Each reports CascadeStepFailed when it gives up.
 */
export function createHandlers(deps: CredentialsDeps) {
  return {
    AgentHired: reportingGiveUp(onAgentHired(deps)),
    AgentRetired: reportingGiveUp(onAgentRetired(deps)),
    CredentialsRotationRequested: reportingGiveUp(onCredentialsRotationRequested(deps)),
  } satisfies HandlerMap;
}
