import {
  catalogue,
  type AgentStatus,
  eventTypes,
  FLEET_SOURCE_PREFIX,
  PRODUCERS,
  type EventType,
  type Producer,
} from '@ocf/events';
import { deliveryPolicy } from '@ocf/runtime';

/**
 * The fleet's event topology, declared once: the bus, one queue (with its DLQ) per service, the
 * rules that route event types to queues, and the DynamoDB tables. The local bootstrap creates
 * exactly this on the emulator and the CDK stack creates exactly this on AWS, so local routing
 * is cloud routing.
 */

export const SERVICE_NAMES = [
  'directory',
  'credentials',
  'bridge',
  'provisioning',
  'health',
  'model-gateway',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * What a service takes, and from whom. Each event is routed only from the sources of its
 * producers as the catalogue names them (`producedBy`): a `CredentialsIssued` reaches a queue
 * only when it comes from `ocf.credentials`, whoever else puts one on the bus.
 * - `producers`: from the fleet services that produce these events, each under its own source;
 * - `outside`: from outside publishers only (any source not starting with `ocf.`), for the public
 *   requests the directory validates and records before it republishes them as its own.
 */
export interface Subscription {
  readonly from: 'producers' | 'outside';
  readonly eventTypes: readonly EventType[];
}

export const DIRECTORY_SOURCE = producerSource('directory');

/** The EventBridge `source` a fleet service publishes under (shared/service sets it). */
export function producerSource(service: ServiceName): string {
  return `${FLEET_SOURCE_PREFIX}${service}`;
}

/** Events the directory writes itself, so it has nothing to project from them. */
const WRITTEN_BY_DIRECTORY: readonly EventType[] = [
  'AgentHired',
  'AgentRetired',
  'AgentUpdated',
  'HireRejected',
];

/**
 * Which events reach each service. A service's handler map must cover exactly its event types
 * (startService checks at boot), and infra asserts its rules match this table.
 */
export const SUBSCRIPTIONS: { readonly [S in ServiceName]: readonly Subscription[] } = {
  directory: [
    // Hire and retire requests from other systems: validated, recorded, then republished.
    { from: 'outside', eventTypes: ['AgentHired', 'AgentRetired'] },
    // Everything the cascade reports, for each agent's status.
    {
      from: 'producers',
      eventTypes: eventTypes.filter((type) => !WRITTEN_BY_DIRECTORY.includes(type)),
    },
  ],
  credentials: [
    { from: 'producers', eventTypes: ['AgentHired', 'AgentRetired', 'CredentialsRotationRequested'] },
  ],
  bridge: [
    // AgentHired too: the bridge keeps its own copy of each agent's place in the org (name,
    // title, team, manager) to build display names and rooms without calling the directory.
    { from: 'producers', eventTypes: ['AgentHired', 'AgentUpdated', 'AgentRetired'] },
    { from: 'producers', eventTypes: ['CredentialsIssued', 'CredentialsRotated'] },
    // Budget notices for the agent's manager (ADR 0017).
    { from: 'producers', eventTypes: ['AgentBudgetThresholdReached', 'AgentBudgetExhausted'] },
    // Who is awake, for the awake cap and to tell a waiting person the agent is back (ADR 0018).
    { from: 'producers', eventTypes: ['AgentAsleep', 'AgentAwake', 'AgentRunning'] },
  ],
  provisioning: [
    // Its own copy of the desired state (ADR 0010): who is hired (and retired), each agent's
    // secret ARN, and when its chat account is ready, the last fact before a launch; what health
    // asks for; and rotations, after which a task must be replaced to read its new secret (ADR 0008).
    { from: 'producers', eventTypes: ['AgentHired', 'AgentRetired'] },
    {
      from: 'producers',
      eventTypes: [
        'CredentialsIssued',
        'CredentialsRotated',
        'ChatAccountReady',
        'AgentRestartRequested',
        'AgentCrashLooping',
        // Sleep and wake requests, from the bridge's decisions and operators (ADR 0018).
        'AgentSleepRequested',
        'AgentWakeRequested',
      ],
    },
  ],
  health: [
    // Which task to watch (AgentLaunching) and when to stop (retirement); and every step of
    // both cascades, to count agents by state and time each step for the metrics (ADR 0011).
    { from: 'producers', eventTypes: ['AgentHired', 'AgentRetired'] },
    {
      from: 'producers',
      eventTypes: [
        'CredentialsIssued',
        'ChatAccountReady',
        'AgentLaunching',
        'AgentStopped',
        'CredentialsRevoked',
        'ChatAccountDeactivated',
        'MemoryArchived',
        'CascadeStepFailed',
        // A sleeping agent's task is gone on purpose; a wake is timed from its message (ADR 0019).
        'AgentAsleep',
        'AgentAwake',
      ],
    },
  ],
  'model-gateway': [
    // Its own copy of whom it meters and for how much (ADR 0017): each agent's department,
    // manager and monthly budget, and who is retired (whose key it refuses at once).
    { from: 'producers', eventTypes: ['AgentHired', 'AgentUpdated', 'AgentRetired'] },
  ],
};

/**
 * Whose queues hold what moves an agent on from each status a cascade passes through: the step
 * that acts next, and the directory's own queue, where that step's report waits to be recorded.
 * The directory's cascade resync counts what waits there before it calls an agent stalled
 * (ADR 0024), and infra lets it count exactly these queues.
 */
export const CASCADE_NEXT_STEP_QUEUES: Readonly<Partial<Record<AgentStatus, readonly ServiceName[]>>> = {
  hired: ['credentials', 'directory'],
  'credentials-issued': ['bridge', 'directory'],
  'chat-account-ready': ['provisioning', 'directory'],
  launching: ['health', 'directory'],
  retiring: ['credentials', 'bridge', 'provisioning', 'directory'],
};

/** Other services' queues the directory counts (never reads) for the cascade resync. */
export function queuesCountedByDirectory(): ServiceName[] {
  const counted = new Set(Object.values(CASCADE_NEXT_STEP_QUEUES).flat());
  counted.delete('directory');
  return SERVICE_NAMES.filter((service) => counted.has(service));
}

/** Every event type a service's queue receives, whatever its origin. */
export function subscribedEventTypes(service: ServiceName): EventType[] {
  return [...new Set(SUBSCRIPTIONS[service].flatMap((subscription) => subscription.eventTypes))];
}

/**
 * Whom a subscription takes one event type from. Outside publishers reach only a subscription
 * that asks for them: a public event enters the cascade through the directory, never directly.
 */
export function sendersOf(subscription: Subscription, type: EventType): Producer[] {
  const producers = catalogue[type].producedBy;
  if (subscription.from === 'outside') {
    if (!producers.includes('outside')) {
      throw new Error(`${type} is not published by outside systems (catalogue: ${producers.join(', ')})`);
    }
    return ['outside'];
  }
  return producers.filter((producer) => producer !== 'outside');
}

/** Each service's event types, grouped by the one producer they may come from. */
export function routesOf(
  service: ServiceName,
): { readonly from: Producer; readonly eventTypes: EventType[] }[] {
  const byProducer = new Map<Producer, Set<EventType>>();
  for (const subscription of SUBSCRIPTIONS[service]) {
    for (const type of subscription.eventTypes) {
      for (const producer of sendersOf(subscription, type)) {
        byProducer.set(producer, (byProducer.get(producer) ?? new Set()).add(type));
      }
    }
  }
  return PRODUCERS.flatMap((from) => {
    const types = byProducer.get(from);
    return types === undefined ? [] : [{ from, eventTypes: eventTypes.filter((type) => types.has(type)) }];
  });
}

/** The EventBridge pattern of the events one producer may send to one queue. */
export function eventPattern(from: Producer, types: readonly EventType[]): EventPattern {
  const source: EventPattern['source'] =
    from === 'outside' ? [{ 'anything-but': { prefix: FLEET_SOURCE_PREFIX } }] : [producerSource(from)];
  return { source, 'detail-type': [...types] };
}

export interface EventPattern {
  readonly source: readonly (string | { readonly 'anything-but': { readonly prefix: string } })[];
  readonly 'detail-type': readonly string[];
}

export interface QueueSpec {
  readonly service: ServiceName;
  readonly name: string;
  readonly deadLetterQueueName: string;
  /**
   * Renewed by the consumer's heartbeat while a handler runs. The consumer's lease, heartbeat
   * and retry delays, and maxReceiveCount below, are derived from it (@ocf/runtime delivery.ts).
   */
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly deadLetterRetentionSeconds: number;
  /**
   * The safety net behind the consumer's own DLQ routing (which attaches a reason): a message
   * that keeps killing its consumer before it can decide still ends up in the DLQ. Set above the
   * consumer's attempts plus what a dead worker's lease can cost, so a message whose worker died
   * is always taken over first (delivery.ts has the arithmetic).
   */
  readonly maxReceiveCount: number;
}

/** One rule: the event types one producer may send to one service's queue. */
export interface RuleSpec {
  readonly name: string;
  readonly service: ServiceName;
  readonly from: Producer;
  readonly eventTypes: readonly EventType[];
  readonly eventPattern: EventPattern;
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
    readonly apiTokens: TableSpec;
    readonly bridge: TableSpec;
    /** Dedupe records of every consumer (key `<service>#<eventId>`), expired by TTL. */
    readonly processedEvents: TableSpec;
    /** Provisioning's desired state per agent, built from events, and what it launched (ADR 0010). */
    readonly provisioning: TableSpec;
    /** Health's watch per agent: current task, phase, recent failures for back-off (ADR 0011). */
    readonly health: TableSpec;
    /**
     * The model gateway's state (ADR 0017): its copy of each agent's place and budget, and the
     * usage totals per agent, department and fleet, per month and day. One generic key (`pk`),
     * shaped by the gateway (`agent#<id>`, `usage#agent#<id>#<month>`, ...).
     */
    readonly modelGateway: TableSpec;
  };
}

const DAY = 24 * 3600;
/** Every queue's V: long enough that a heartbeat (V/6 = 10 s) is cheap, short enough that a dead worker's message is back within a minute. */
const QUEUE_VISIBILITY_TIMEOUT_SECONDS = 60;

/** `environment` names one fleet (`local`, `prod`, a test run's id); every resource name carries it. */
export function fleetRouting(environment: string): FleetRouting {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(environment)) {
    throw new Error(`environment must be 1-31 lowercase letters, digits or hyphens, got "${environment}"`);
  }
  const prefix = `ocf-${environment}`;
  const delivery = deliveryPolicy(QUEUE_VISIBILITY_TIMEOUT_SECONDS);
  const queue = (service: ServiceName): QueueSpec => ({
    service,
    name: `${prefix}-${service}`,
    deadLetterQueueName: `${prefix}-${service}-dlq`,
    visibilityTimeoutSeconds: delivery.visibilityTimeoutSeconds,
    retentionSeconds: 4 * DAY,
    deadLetterRetentionSeconds: 14 * DAY,
    maxReceiveCount: delivery.maxReceiveCount,
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
      'model-gateway': queue('model-gateway'),
    },
    // At most 64 characters: `ocf-` + 31 + `-provisioning-to-provisioning`.
    rules: SERVICE_NAMES.flatMap((service) =>
      routesOf(service).map(({ from, eventTypes: types }) => ({
        name: `${prefix}-${from}-to-${service}`,
        service,
        from,
        eventTypes: types,
        eventPattern: eventPattern(from, types),
      })),
    ),
    tables: {
      agents: {
        name: `${prefix}-agents`,
        partitionKey: 'agentId',
        indexes: [
          { name: 'byDepartment', partitionKey: 'department', sortKey: 'agentId' },
          { name: 'byTeam', partitionKey: 'teamKey', sortKey: 'agentId' },
          { name: 'byManager', partitionKey: 'managerId', sortKey: 'agentId' },
          { name: 'byStatus', partitionKey: 'status', sortKey: 'agentId' },
          { name: 'byLevel', partitionKey: 'level', sortKey: 'agentId' },
          // Sparse: only records with events still to publish carry the attribute.
          { name: 'byOutbox', partitionKey: 'outboxPending', sortKey: 'agentId' },
          // The change feed: every write stamps `changedAt`, so watchers Query what changed since
          // their cursor instead of listing everyone. One partition takes ~1,000 writes/s, far above
          // any hire rate; the key leaves room to shard it (`changeFeed` = shard id) if ever needed.
          { name: 'byChange', partitionKey: 'changeFeed', sortKey: 'changedAt' },
        ],
      },
      /**
       * The bridge's own state: its copy of each agent's position, the rooms it made, the
       * announcements it sent. Generic keys (`pk`, `sk`) so the bridge shapes its own items.
       */
      bridge: {
        name: `${prefix}-bridge`,
        partitionKey: 'pk',
        sortKey: 'sk',
        indexes: [],
      },
      /** The directory's API tokens, by SHA-256 of the token: the tokens themselves are never stored. */
      apiTokens: {
        name: `${prefix}-api-tokens`,
        partitionKey: 'tokenHash',
        indexes: [],
      },
      processedEvents: {
        name: `${prefix}-processed-events`,
        partitionKey: 'pk',
        indexes: [],
        ttlAttribute: 'expiresAt',
      },
      provisioning: {
        name: `${prefix}-provisioning`,
        partitionKey: 'agentId',
        indexes: [],
      },
      health: {
        name: `${prefix}-health`,
        partitionKey: 'agentId',
        indexes: [],
      },
      modelGateway: {
        name: `${prefix}-model-gateway`,
        partitionKey: 'pk',
        indexes: [],
      },
    },
  };
}
