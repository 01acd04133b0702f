import { createEvent, type AnyFleetEvent, type EventDataInput, type EventType } from '@ocf/events';
import type { TaskObservation } from '../../src/domain/decisions.ts';
import { applyEvent, type HealthRecord } from '../../src/domain/projection.ts';
import { T0 } from './harness.ts';

/** Records built by folding events, as the domain tests start from them. */

export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
let ids = 0;
export const newId = () => `id-${++ids}`;

export function fold(events: [EventType, EventDataInput<EventType>, number][]): HealthRecord | undefined {
  let record: HealthRecord | undefined;
  for (const [type, data, second] of events) {
    record = applyEvent(
      record,
      { ...createEvent(type, data as never, { now: at(second) }), source: 'ocf.test' } as AnyFleetEvent,
      'test',
    ).record;
  }
  return record;
}

export const HIRED: EventDataInput<'AgentHired'> = {
  agentId: 'ada',
  name: 'Ada',
  title: 'T',
  level: 'ic',
  department: 'D',
  managerId: 'ceo',
};
export const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/ada-a1B2c3';
export const launchedRecord = () =>
  fold([
    ['AgentHired', HIRED, 0],
    ['CredentialsIssued', { agentId: 'ada', secretArn: SECRET, restored: false }, 1],
    ['ChatAccountReady', { agentId: 'ada', matrixUserId: '@agent-ada:f.test' }, 2],
    ['AgentLaunching', { agentId: 'ada', taskArn: 'arn:task/1' }, 3],
  ])!;

export const running: TaskObservation = { status: 'running', health: 'healthy' };
export const unhealthy: TaskObservation = { status: 'running', health: 'unhealthy', reason: 'probe 503' };
