import type { AgentSecretValue } from '@ocf/secrets';
import { AgentSecretReadError, type AgentSecrets, type CurrentSecret } from '../ports.ts';

export interface MemoryAgentSecrets extends AgentSecrets {
  /** The credentials service issues (or rotates to) a new current version; returns its id. */
  issue(agentId: string): string;
  currentOf(agentId: string): CurrentSecret | undefined;
  /** The next `times` token writes fail because the current version moved (a rotation in between). */
  raceNextWrite(agentId: string): void;
}

/** For unit tests: each agent's AWSCURRENT version, in a Map, with the bridge's compare-and-set. */
export function createMemoryAgentSecrets(): MemoryAgentSecrets {
  const current = new Map<string, CurrentSecret>();
  const races = new Set<string>();
  let versions = 0;
  const fresh = (): AgentSecretValue => ({ version: 1, issuedAt: new Date(0).toISOString() });
  const secrets: MemoryAgentSecrets = {
    current(agentId) {
      const found = current.get(agentId);
      return found === undefined
        ? Promise.reject(
            new AgentSecretReadError(`ocf/test/agents/${agentId} cannot be read yet`, { retryable: true }),
          )
        : Promise.resolve(found);
    },
    addMatrixToken(agentId, basedOn, matrix) {
      if (races.delete(agentId)) secrets.issue(agentId);
      if (current.get(agentId)?.versionId !== basedOn.versionId) {
        return Promise.reject(
          new AgentSecretReadError(`ocf/test/agents/${agentId} changed while its Matrix token was added`, {
            retryable: true,
          }),
        );
      }
      const versionId = `v${++versions}`;
      current.set(agentId, {
        versionId,
        value: {
          ...basedOn.value,
          matrix: {
            accessToken: matrix.accessToken,
            deviceId: matrix.deviceId,
            ...(matrix.syncFrom === undefined ? {} : { syncFrom: matrix.syncFrom }),
          },
        },
      });
      return Promise.resolve(versionId);
    },
    issue(agentId) {
      const versionId = `v${++versions}`;
      current.set(agentId, { versionId, value: fresh() });
      return versionId;
    },
    currentOf: (agentId) => current.get(agentId),
    raceNextWrite(agentId) {
      races.add(agentId);
    },
  };
  return secrets;
}
