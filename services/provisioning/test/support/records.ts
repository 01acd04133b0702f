import type { AgentRecord, EventFact } from '../../src/domain/agent-record.ts';

export const T0 = new Date('2026-11-25T10:00:00.000Z');
export const at = (seconds: number): string => new Date(T0.getTime() + seconds * 1000).toISOString();
export const SECRET = (agentId: string) =>
  `arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/${agentId}-a1B2c3`;

export function hire(agentId: string, seconds = 0, eventId = `hire-${agentId}-${seconds}`): EventFact {
  return {
    at: at(seconds),
    eventId,
    correlationId: `corr-${eventId}`,
  };
}

/** An agent hired at t=0 whose secret (t=1) and chat account (t=2) are ready: it should run. */
export function ready(agentId: string, extra: Partial<AgentRecord> = {}): AgentRecord {
  return {
    agentId,
    hired: hire(agentId),
    credentials: { at: at(1), secretArn: SECRET(agentId) },
    chat: { at: at(2), matrixUserId: `@agent-${agentId}:fleet.test` },
    ...extra,
  };
}
