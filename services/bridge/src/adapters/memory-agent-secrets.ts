import { SecretText } from '@ocf/secrets';
import { AgentSecretReadError, type AgentSecrets, type CurrentSecret } from '../ports.ts';

export interface MemoryAgentSecrets extends AgentSecrets {
  /** Issues (or rotates to) a new current version; returns its id. */
  issue(agentId: string, password?: string): string;
  currentOf(agentId: string): CurrentSecret | undefined;
}

/** For unit tests: each agent's AWSCURRENT version, in a Map. */
export function createMemoryAgentSecrets(): MemoryAgentSecrets {
  const current = new Map<string, CurrentSecret>();
  let versions = 0;
  return {
    current(agentId) {
      const found = current.get(agentId);
      return found === undefined
        ? Promise.reject(
            new AgentSecretReadError(`ocf/test/agents/${agentId} cannot be read yet`, { retryable: true }),
          )
        : Promise.resolve(found);
    },
    issue(agentId, password) {
      const versionId = `v${++versions}`;
      current.set(agentId, {
        versionId,
        password: new SecretText(password ?? `password-of-${agentId}-${versionId}`),
      });
      return versionId;
    },
    currentOf: (agentId) => current.get(agentId),
  };
}
