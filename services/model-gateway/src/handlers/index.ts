import { TransientError } from '@ocf/errors';
import type { EventHandler, HandlerMap } from '@ocf/runtime';
import {
  applyHired,
  applyRetired,
  applyUpdated,
  sameProfile,
  type AgentProfile,
} from '../domain/agent-profile.ts';
import type { ProfileStore } from '../ports.ts';

export interface HandlerDeps {
  readonly profiles: ProfileStore;
  /** Told after each change, so the call path reads the new profile (a raised budget works at once). */
  readonly changed: (agentId: string) => void;
}

/** Reads, applies, writes with the version it read; a concurrent writer means read and apply again. */
async function mutate(
  deps: HandlerDeps,
  agentId: string,
  apply: (profile: AgentProfile | undefined) => AgentProfile | undefined,
): Promise<AgentProfile | undefined> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const current = await deps.profiles.get(agentId);
    const next = apply(current);
    if (next === undefined) return undefined;
    if (current !== undefined && sameProfile(current, next)) return current;
    const written = { ...next, version: (current?.version ?? 0) + 1 };
    if ((await deps.profiles.write(written)) === 'written') {
      deps.changed(agentId);
      return written;
    }
  }
  throw new TransientError('PROFILE_CONTENDED', `the profile of ${agentId} kept changing under this write`);
}

/**
 * The model gateway's event handlers: exactly its subscriptions in shared/routing (AgentHired,
 * AgentUpdated, AgentRetired from the directory), each folding the event into the agent's profile.
 */
export function createHandlers(deps: HandlerDeps) {
  const hired: EventHandler<'AgentHired'> = async (event, context) => {
    const profile = await mutate(deps, event.data.agentId, (current) =>
      applyHired(current, event.data, event.metadata.occurredAt),
    );
    context.logger.info('agent profile recorded', {
      department: profile?.department,
      monthlyBudgetUsd: profile?.monthlyBudgetUsd ?? null,
    });
  };
  const updated: EventHandler<'AgentUpdated'> = async (event, context) => {
    const profile = await mutate(deps, event.data.agentId, (current) => {
      const next = applyUpdated(current, event.data, event.metadata.occurredAt);
      if (next === undefined) {
        // The hire is on its way (events race): retry until it has been recorded.
        throw new TransientError(
          'AGENT_NOT_YET_KNOWN',
          `AgentUpdated for ${event.data.agentId}, not known here yet`,
        );
      }
      return next;
    });
    context.logger.info('agent profile updated', {
      changed: Object.keys(event.data.changes),
      monthlyBudgetUsd: profile?.monthlyBudgetUsd ?? null,
    });
  };
  const retired: EventHandler<'AgentRetired'> = async (event, context) => {
    await mutate(deps, event.data.agentId, (current) =>
      applyRetired(current, event.data.agentId, event.metadata.occurredAt),
    );
    context.logger.info('agent retired: its model key is refused from now on');
  };
  return { AgentHired: hired, AgentUpdated: updated, AgentRetired: retired } satisfies HandlerMap;
}
