import {
  createEvent,
  type DraftEvent,
  type EventDataInput,
  type EventType,
  type FleetEvent,
} from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { PublishError, type EventHandler, type HandlerContext } from '@ocf/runtime';
import { createMemoryAgentSecrets } from '../../src/adapters/memory-agent-secrets.ts';
import { createMemoryBridgeStore } from '../../src/adapters/memory-bridge-store.ts';
import { createMemoryHomeserver, type FakeRoom } from '../../src/adapters/memory-homeserver.ts';
import { createNaming } from '@ocf/naming';
import { createHandlers } from '../../src/handlers/index.ts';
import type { BridgeTrigger } from '../../src/handlers/triggers.ts';
import type { BridgeDeps } from '../../src/reconcile/deps.ts';
import { sweepParkedAgents } from '../../src/reconcile/sweeper.ts';
import type { Homeserver } from '../../src/ports.ts';

export const SERVER = 'fleet.test';
export const CEO_USER_ID = `@ceo:${SERVER}`;
export const START = Date.parse('2026-11-25T10:00:00.000Z');

export type Hire = Omit<EventDataInput<'AgentHired'>, 'agentId'>;

export interface HarnessOptions {
  readonly maxAttempts?: number;
  readonly namespace?: string;
  /** For a real homeserver: its server name and the CEO it knows (default: the fake's). */
  readonly serverName?: string;
  readonly ceoUserId?: string;
  /** Wraps the fake homeserver, to make it misbehave in ways its failNext cannot. */
  readonly homeserver?: (fake: Homeserver) => Homeserver;
}

/**
 * The bridge's handlers over a fake homeserver, an in-memory table and secrets, a memory logger, a
 * clock that ticks a second per event, and a recording publisher: `deliver` plays the consumer's
 * part for one delivery. The consumer's dedupe is left out on purpose: these tests are about what
 * happens when a repeat gets through (a fresh copy of an event, a lease that ran out).
 */
export function bridgeHarness(options: HarnessOptions = {}) {
  const clock = { now: START };
  const fake = createMemoryHomeserver({ serverName: SERVER });
  fake.seedUser(CEO_USER_ID);
  const store = createMemoryBridgeStore({ now: () => clock.now });
  const secrets = createMemoryAgentSecrets();
  const naming = createNaming({ serverName: options.serverName ?? SERVER, namespace: options.namespace });
  const logger = createMemoryLogger();
  const published: DraftEvent[] = [];
  let publishFailures = 0;
  let ids = 0;

  const deps: BridgeDeps = {
    homeserver: options.homeserver?.(fake) ?? fake,
    store,
    secrets,
    naming,
    ceoUserId: options.ceoUserId ?? CEO_USER_ID,
    newId: () => `id-${++ids}`,
    now: () => new Date(clock.now),
    lockLeaseMs: 30_000,
    roomsWithBot: new Set(),
    // Waits pass at once, moving the clock (lock leases are measured on it).
    sleep: (ms) => {
      clock.now += ms;
      return Promise.resolve();
    },
  };
  const handlers = createHandlers(deps);

  /** An event as it reaches the bridge, stamped a second after the previous one. */
  function event<T extends BridgeTrigger>(type: T, data: EventDataInput<T>): FleetEvent<T> {
    clock.now += 1000;
    const draft = createEvent(type, data, { now: new Date(clock.now) });
    return { ...draft, source: type.startsWith('Agent') ? 'ocf.directory' : 'ocf.credentials' };
  }

  /** The same event under a new id: what another publisher's copy looks like to the consumer. */
  function freshCopy<T extends BridgeTrigger>(original: FleetEvent<T>): FleetEvent<T> {
    return { ...original, metadata: { ...original.metadata, eventId: `copy-${++ids}` } };
  }

  function contextFor(trigger: FleetEvent, receiveCount: number): HandlerContext {
    return {
      logger: logger.with({ eventId: trigger.metadata.eventId, eventType: trigger.type }),
      signal: new AbortController().signal,
      receiveCount,
      isFinalAttempt: receiveCount >= (options.maxAttempts ?? 3),
      emit: <E extends EventType>(type: E, data: EventDataInput<E>) => {
        if (publishFailures > 0) {
          publishFailures--;
          return Promise.reject(new PublishError(new Map([['pending', 'InternalFailure']]), 5));
        }
        const emitted = createEvent(type, data, {
          correlationId: trigger.metadata.correlationId,
          causationId: trigger.metadata.eventId,
        });
        published.push(emitted);
        return Promise.resolve(emitted);
      },
    };
  }

  async function deliver<T extends BridgeTrigger>(
    trigger: FleetEvent<T>,
    delivery: { receiveCount?: number } = {},
  ): Promise<void> {
    const handler = handlers[trigger.type] as EventHandler<T>;
    await handler(trigger, contextFor(trigger, delivery.receiveCount ?? 1));
  }

  const delivered: FleetEvent<BridgeTrigger>[] = [];

  const h = {
    fake,
    store,
    secrets,
    naming,
    logger,
    published,
    clock,
    deps,
    delivered,
    event,
    freshCopy,
    deliver,

    /** Delivers and returns the error the handler threw (fails if it threw none). */
    async deliverExpectingFailure<T extends BridgeTrigger>(
      trigger: FleetEvent<T>,
      delivery: { receiveCount?: number } = {},
    ): Promise<Error> {
      try {
        await deliver(trigger, delivery);
      } catch (error) {
        return error as Error;
      }
      throw new Error(`${trigger.type} was expected to fail but succeeded`);
    },

    /** The directory's AgentHired, then the credentials service's secret and CredentialsIssued. */
    async hire(agentId: string, hire: Hire): Promise<void> {
      const hired = event('AgentHired', { agentId, ...hire });
      delivered.push(hired);
      await deliver(hired);
      await h.issue(agentId);
    },

    async issue(agentId: string): Promise<void> {
      secrets.issue(agentId);
      const issued = event('CredentialsIssued', {
        agentId,
        secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/${agentId}-a1B2c3`,
        restored: false,
      });
      delivered.push(issued);
      await deliver(issued);
    },

    async update(agentId: string, changes: EventDataInput<'AgentUpdated'>['changes']): Promise<void> {
      const updated = event('AgentUpdated', { agentId, changes, previous: {} });
      delivered.push(updated);
      await deliver(updated);
    },

    async retire(agentId: string): Promise<void> {
      const retired = event('AgentRetired', { agentId });
      delivered.push(retired);
      await deliver(retired);
    },

    /** The next `count` publishes fail, as if the bus could not be reached. */
    failPublishes(count = 1) {
      publishFailures = count;
    },

    publishedOf<E extends EventType>(type: E): DraftEvent<E>[] {
      return published.filter((e): e is DraftEvent<E> => e.type === type);
    },

    sweep() {
      return sweepParkedAgents(
        { ...deps, publisher: recordingPublisher(published), logger, maxParkedMs: 24 * 3600 * 1000 },
        new AbortController().signal,
      );
    },

    userId: (agentId: string) => naming.agentUserId(agentId),

    room(aliasBase: string): FakeRoom {
      const found = fake.roomByAlias(naming.alias(aliasBase));
      if (found === undefined) throw new Error(`no room ${naming.alias(aliasBase)}`);
      return found;
    },

    /** Who is joined to the room, with the bot left out and agents named by their ids. */
    members(aliasBase: string): string[] {
      return fake
        .joinedMembers(h.room(aliasBase).roomId)
        .filter((userId) => userId !== fake.botUserId)
        .map((userId) => naming.agentIdOf(userId) ?? userId)
        .sort();
    },

    /** The announcements in a room, as `<kind> <agentId>`. */
    announcements(aliasBase: string): string[] {
      return h.room(aliasBase).messages.map((message) => {
        const announcement = message.content['ocf.announcement'] as { kind: string; agentId: string };
        return `${announcement.kind} ${announcement.agentId}`;
      });
    },

    displayNameOf: (agentId: string) => fake.users.get(naming.agentUserId(agentId))?.displayName,
  };
  return h;
}

export type BridgeHarness = ReturnType<typeof bridgeHarness>;

function recordingPublisher(published: DraftEvent[]) {
  return {
    publish(...events: DraftEvent[]) {
      published.push(...events);
      return Promise.resolve();
    },
    emit<T extends EventType>(type: T, data: EventDataInput<T>, options?: Parameters<typeof createEvent>[2]) {
      const draft = createEvent(type, data, options);
      published.push(draft);
      return Promise.resolve(draft);
    },
  };
}

/**
 * The small org of the issue: the CEO (a human), a VP of Engineering with two directors, a manager
 * under one of them with two engineers in the Platform team, and a Sales department with a
 * Platform team of its own. Hired top-down, as the directory allows.
 */
export const SMALL_ORG: readonly (readonly [string, Hire])[] = [
  [
    'grace',
    {
      name: 'Grace Hopper',
      title: 'VP Engineering',
      level: 'vp',
      department: 'Research & Development',
      managerId: 'ceo',
    },
  ],
  [
    'ada',
    {
      name: 'Ada Lovelace',
      title: 'Director of Platform',
      level: 'director',
      department: 'Research & Development',
      managerId: 'grace',
    },
  ],
  [
    'alan',
    {
      name: 'Alan Turing',
      title: 'Director of Research',
      level: 'director',
      department: 'Research & Development',
      managerId: 'grace',
    },
  ],
  [
    'linus',
    {
      name: 'Linus Torvalds',
      title: 'Engineering Manager',
      level: 'manager',
      department: 'Research & Development',
      team: 'Platform',
      managerId: 'ada',
    },
  ],
  [
    'ken',
    {
      name: 'Ken Thompson',
      title: 'Staff Engineer',
      level: 'ic',
      department: 'Research & Development',
      team: 'Platform',
      managerId: 'linus',
    },
  ],
  [
    'dennis',
    {
      name: 'Dennis Ritchie',
      title: 'Senior Engineer',
      level: 'ic',
      department: 'Research & Development',
      team: 'Platform',
      managerId: 'linus',
    },
  ],
  ['mary', { name: 'Mary Barra', title: 'VP Sales', level: 'vp', department: 'Sales', managerId: 'ceo' }],
  [
    'sam',
    {
      name: 'Sam Walton',
      title: 'Sales Engineer',
      level: 'ic',
      department: 'Sales',
      team: 'Platform',
      managerId: 'mary',
    },
  ],
];

export async function hireSmallOrg(h: BridgeHarness): Promise<void> {
  for (const [agentId, hire] of SMALL_ORG) await h.hire(agentId, hire);
}
