import type { HandlerMap } from '@ocf/runtime';
import type { ProvisioningDeps } from './deps.ts';
import { onAgentCrashLooping } from './on-agent-crash-looping.ts';
import { onAgentHired } from './on-agent-hired.ts';
import { onAgentRestartRequested } from './on-agent-restart-requested.ts';
import { onAgentRetired } from './on-agent-retired.ts';
import { onAgentSleepRequested } from './on-agent-sleep-requested.ts';
import { onAgentWakeRequested } from './on-agent-wake-requested.ts';
import { onChatAccountReady } from './on-chat-account-ready.ts';
import { onCredentialsIssued } from './on-credentials-issued.ts';
import { onCredentialsRotated } from './on-credentials-rotated.ts';

export type { ProvisioningDeps } from './deps.ts';

/**
 * The provisioning service's event handlers: exactly its subscriptions in shared/routing
 * (startService checks). Each records one fact and asks for a reconcile pass; the reconciler,
 * not the handlers, starts and stops tasks (ADR 0010).
 */
export function createHandlers(deps: ProvisioningDeps) {
  return {
    AgentHired: onAgentHired(deps),
    AgentRetired: onAgentRetired(deps),
    CredentialsIssued: onCredentialsIssued(deps),
    CredentialsRotated: onCredentialsRotated(deps),
    ChatAccountReady: onChatAccountReady(deps),
    AgentRestartRequested: onAgentRestartRequested(deps),
    AgentCrashLooping: onAgentCrashLooping(deps),
    AgentSleepRequested: onAgentSleepRequested(deps),
    AgentWakeRequested: onAgentWakeRequested(deps),
  } satisfies HandlerMap;
}
