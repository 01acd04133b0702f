import { eventTypes, type EventType } from '@ocf/events';

/**
 * The fleet's event topology, declared once: the bus, one queue (with its DLQ) per service, the
 * rules that route event types to queues, and the DynamoDB tables. The local bootstrap creates
 * exactly this on the emulator and the CDK stack creates exactly this on AWS, so local routing
 * is cloud routing.
 */

export const SERVICE_NAMES = ['directory', 'credentials', 'bridge', 'provisioning', 'health'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Which event types reach each service. A service's handler map must cover exactly its list
 * (each service tests that), and infra asserts its rules match this list.
 */
export const SUBSCRIPTIONS: { readonly [S in ServiceName]: readonly EventType[] } = {
  // The directory projects every cascade event onto each agent's status.
  directory: eventTypes,
  credentials: ['AgentHired', 'AgentRetired', 'CredentialsRotationRequested'],
  bridge: ['CredentialsIssued', 'CredentialsRotated', 'AgentUpdated', 'AgentRetired'],
  provisioning: ['ChatAccountReady', 'AgentRetired', 'AgentRestartRequested', 'AgentCrashLooping'],
  health: ['AgentLaunching', 'AgentRunning', 'AgentStopped', 'AgentRetired'],
};

export interface QueueSpec {
  readonly service: ServiceName;
  readonly name: string;
  readonly deadLetterQueueName: string;
  /** Renewed by the consumer's heartbeat while a handler runs. */
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly deadLetterRetentionSeconds: number;
  /**
   * The safety net behind the consumer's own DLQ routing (which attaches a reason): a message
   * that keeps killing its consumer before it can decide still ends up in the DLQ.
   */
  readonly maxReceiveCount: number;
}

export interface RuleSpec {
  readonly name: string;
  readonly service: ServiceName;
  readonly eventTypes: readonly EventType[];
  readonly eventPattern: { readonly 'detail-type': readonly string[] };
}

export interface TableSpec {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly indexes: readonly {
    readonly name: string;
    readonly partitionKey: string;
    readonly sortKey?: string;
  }[];
  readonly ttlAttribute?: string;
}

export interface FleetRouting {
  readonly environment: string;
  readonly prefix: string;
  readonly busName: string;
  readonly archive: { readonly name: string; readonly retentionDays: number };
  readonly queues: { readonly [S in ServiceName]: QueueSpec };
  readonly rules: readonly RuleSpec[];
  readonly tables: {
    /** The directory's agents; GSIs answer the org queries without scans. */
    readonly agents: TableSpec;
    /** Dedupe records of every consumer (key `<service>#<eventId>`), expired by TTL. */
    readonly processedEvents: TableSpec;
  };
}

const DAY = 24 * 3600;

/** `environment` names one fleet (`local`, `prod`, a test run's id); every resource name carries it. */
export function fleetRouting(environment: string): FleetRouting {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(environment)) {
    throw new Error(`environment must be 1-31 lowercase letters, digits or hyphens, got "${environment}"`);
  }
  const prefix = `ocf-${environment}`;
  const queue = (service: ServiceName): QueueSpec => ({
    service,
    name: `${prefix}-${service}`,
    deadLetterQueueName: `${prefix}-${service}-dlq`,
    visibilityTimeoutSeconds: 60,
    retentionSeconds: 4 * DAY,
    deadLetterRetentionSeconds: 14 * DAY,
    maxReceiveCount: 10,
  });
  return {
    environment,
    prefix,
    busName: `${prefix}-events`,
    archive: { name: `${prefix}-events-archive`, retentionDays: 30 },
    queues: {
      directory: queue('directory'),
      credentials: queue('credentials'),
      bridge: queue('bridge'),
      provisioning: queue('provisioning'),
      health: queue('health'),
    },
    rules: SERVICE_NAMES.map((service) => ({
      name: `${prefix}-to-${service}`,
      service,
      eventTypes: SUBSCRIPTIONS[service],
      eventPattern: { 'detail-type': [...SUBSCRIPTIONS[service]] },
    })),
    tables: {
      agents: {
        name: `${prefix}-agents`,
        partitionKey: 'agentId',
        indexes: [
          { name: 'byDepartment', partitionKey: 'department', sortKey: 'agentId' },
          { name: 'byTeam', partitionKey: 'teamKey', sortKey: 'agentId' },
          { name: 'byManager', partitionKey: 'managerId', sortKey: 'agentId' },
          { name: 'byStatus', partitionKey: 'status', sortKey: 'agentId' },
        ],
      },
      processedEvents: {
        name: `${prefix}-processed-events`,
        partitionKey: 'pk',
        indexes: [],
        ttlAttribute: 'expiresAt',
      },
    },
  };
}
