import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, TransientError, ValidationError } from '@ocf/errors';
import { createEvent, type AnyFleetEvent, type EventDataInput, type EventType } from '@ocf/events';
import type { Logger } from '@ocf/logging';
import type { EventPublisher } from '@ocf/runtime';
import { isActive, samePosition, type HireRequest, type Position } from './domain/agent.ts';
import { checkPosition, checkReportsStillFit } from './domain/org-rules.ts';
import { applyEvent, deriveStatus, EMPTY_PROGRESS, startRetirement } from './domain/status.ts';
import type { AgentStore, PendingEvent, StoredAgent } from './ports.ts';

/** Where a request came from, so the events it causes join the same correlation. */
export interface Origin {
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
}

export interface DirectoryDeps {
  readonly store: AgentStore;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export type PositionChanges = Partial<Position>;

/** Compare-and-set loops give up after this many lost races: something is badly contended. */
const MAX_WRITE_ATTEMPTS = 10;

/**
 * The directory's use cases, shared by the REST routes and the event handlers so a hire by REST
 * and a hire by event take exactly the same path. Every change is written together with the
 * events it owes the bus (the record's outbox), then published, then cleared from the outbox.
 */
export function createDirectory(deps: DirectoryDeps) {
  const { store, publisher, logger } = deps;
  const now = (): string => (deps.now ?? (() => new Date()))().toISOString();

  async function findActive(agentId: string): Promise<StoredAgent | undefined> {
    const agent = await store.get(agentId);
    return agent !== undefined && isActive(agent) ? agent : undefined;
  }

  function pending<T extends EventType>(
    type: T,
    data: EventDataInput<T>,
    origin: Origin,
    correlationId: string,
  ): PendingEvent {
    // Validate now, so a record is never written with an event that could not be published.
    const event = createEvent(type, data, {
      correlationId,
      ...(origin.causationId === undefined ? {} : { causationId: origin.causationId }),
    });
    return {
      eventId: event.metadata.eventId,
      type,
      data: event.data,
      correlationId,
      ...(origin.causationId === undefined ? {} : { causationId: origin.causationId }),
      occurredAt: event.metadata.occurredAt,
    };
  }

  /** Publishes what the record owes the bus and clears it from the outbox. */
  async function flush(agent: StoredAgent): Promise<StoredAgent> {
    if (agent.outbox.length === 0) return agent;
    await publisher.publish(
      ...agent.outbox.map((e) =>
        createEvent(e.type, e.data as never, {
          eventId: e.eventId,
          correlationId: e.correlationId,
          now: new Date(e.occurredAt),
          ...(e.causationId === undefined ? {} : { causationId: e.causationId }),
        }),
      ),
    );
    const published = new Set(agent.outbox.map((e) => e.eventId));
    return mutate(agent.agentId, (current) => ({
      ...current,
      outbox: current.outbox.filter((e) => !published.has(e.eventId)),
    }));
  }

  /** Read-modify-write with optimistic locking, retried when another writer got there first. */
  async function mutate(
    agentId: string,
    change: (current: StoredAgent) => StoredAgent | undefined,
  ): Promise<StoredAgent> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await store.get(agentId);
      if (current === undefined) throw new NotFoundError(`no agent "${agentId}"`);
      const next = change(current);
      if (next === undefined || next === current) return current;
      const written = { ...next, version: current.version + 1, updatedAt: now() };
      if ((await store.update(written)) === 'updated') return written;
    }
    throw new TransientError(
      'WRITE_CONTENDED',
      `gave up updating ${agentId} after ${MAX_WRITE_ATTEMPTS} concurrent writes`,
    );
  }

  return {
    get: (agentId: string) => store.get(agentId),

    /**
     * Records a hire and publishes AgentHired. The same hire again (same id, same position) is a
     * no-op that returns the existing agent; the same id with a different position is a conflict.
     * A retired agent can be hired again under its old id.
     */
    async hire(request: HireRequest, origin: Origin = {}): Promise<{ agent: StoredAgent; created: boolean }> {
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
        const existing = await store.get(request.agentId);
        if (existing !== undefined && existing.status !== 'retired') {
          if (existing.status === 'retiring') {
            throw new ConflictError(
              `${request.agentId} is still retiring; hire it again once retirement completes`,
              'AGENT_RETIRING',
            );
          }
          if (!samePosition(existing, request)) {
            throw new ConflictError(
              `agent id (and chat username) "${request.agentId}" is already taken by ${existing.name}, ${existing.title}; choose another agentId`,
              'AGENT_ID_TAKEN',
            );
          }
          // Already recorded. Whoever recorded it publishes; if that failed, the sweeper will.
          return { agent: existing, created: false };
        }
        const violation = await checkPosition(request.agentId, request, findActive);
        if (violation !== undefined)
          throw new ValidationError(violation.message, { field: violation.field, code: violation.code });

        const at = now();
        const correlationId = origin.correlationId ?? randomUUID();
        const hired = pending('AgentHired', hireEventData(request), origin, correlationId);
        const agent: StoredAgent = {
          ...request,
          status: 'hired',
          progress: EMPTY_PROGRESS,
          hiredAt: at,
          updatedAt: at,
          hireEventId: hired.eventId,
          correlationId,
          version: existing === undefined ? 1 : existing.version + 1,
          outbox: [hired],
        };
        const written = existing === undefined ? await store.create(agent) : await store.update(agent);
        if (written === 'created' || written === 'updated') {
          logger.info('agent hired', {
            agentId: agent.agentId,
            correlationId,
            rehire: existing !== undefined,
          });
          return { agent: await flushQuietly(agent), created: true };
        }
        // Lost a race with a concurrent hire of the same id: look again.
      }
      throw new TransientError(
        'WRITE_CONTENDED',
        `gave up hiring ${request.agentId} after ${MAX_WRITE_ATTEMPTS} concurrent writes`,
      );
    },

    /** Starts the retirement cascade. Retiring an agent that is retiring or retired is a no-op. */
    async retire(agentId: string, reason: string | undefined, origin: Origin = {}): Promise<StoredAgent> {
      const current = await store.get(agentId);
      if (current === undefined) throw new NotFoundError(`no agent "${agentId}"`);
      if (isActive(current)) {
        const reports = await store.list({ managerId: agentId }, { limit: 50 });
        const active = reports.items.filter(isActive);
        if (active.length > 0) {
          throw new ConflictError(
            `${agentId} still manages ${active.map((r) => r.agentId).join(', ')}; move them to another manager first`,
            'HAS_REPORTS',
          );
        }
      }
      const agent = await mutate(agentId, (agent) => {
        if (!isActive(agent)) return undefined;
        const progress = startRetirement(agent.progress, now());
        const retired = pending(
          'AgentRetired',
          { agentId, ...(reason === undefined ? {} : { reason }) },
          origin,
          origin.correlationId ?? agent.correlationId,
        );
        return { ...agent, progress, status: deriveStatus(progress), outbox: [...agent.outbox, retired] };
      });
      logger.info('agent retiring', { agentId });
      return flushQuietly(agent);
    },

    /** Promotion, transfer, new manager: checked against the org rules, then AgentUpdated. */
    async update(agentId: string, changes: PositionChanges, origin: Origin = {}): Promise<StoredAgent> {
      const current = await findActive(agentId);
      if (current === undefined) throw new NotFoundError(`no active agent "${agentId}"`);
      const next: Position = { ...current, ...changes };
      const changed = (Object.keys(changes) as (keyof Position)[]).filter(
        (key) => (changes[key] ?? null) !== (current[key] ?? null),
      );
      if (changed.length === 0) return current;
      const violation =
        (await checkPosition(agentId, next, findActive)) ??
        (changes.level === undefined
          ? undefined
          : checkReportsStillFit(
              changes.level,
              (await store.list({ managerId: agentId }, { limit: 100 })).items,
            ));
      if (violation !== undefined)
        throw new ValidationError(violation.message, { field: violation.field, code: violation.code });

      const agent = await mutate(agentId, (agent) => {
        const event = pending(
          'AgentUpdated',
          {
            agentId,
            changes: Object.fromEntries(changed.map((key) => [key, next[key] ?? null])),
            previous: Object.fromEntries(changed.map((key) => [key, agent[key] ?? null])),
          },
          origin,
          origin.correlationId ?? randomUUID(),
        );
        return { ...agent, ...changes, outbox: [...agent.outbox, event] };
      });
      logger.info('agent updated', { agentId, changed });
      return flushQuietly(agent);
    },

    /** Asks credentials for a new chat credential. */
    async requestRotation(agentId: string, reason: string | undefined): Promise<void> {
      if ((await findActive(agentId)) === undefined) throw new NotFoundError(`no active agent "${agentId}"`);
      await publisher.emit('CredentialsRotationRequested', {
        agentId,
        ...(reason === undefined ? {} : { reason }),
      });
    },

    /** Folds one cascade event into the agent's status. */
    async project(event: AnyFleetEvent): Promise<void> {
      const agentId = 'agentId' in event.data ? event.data.agentId : undefined;
      if (agentId === undefined) return;
      try {
        const agent = await mutate(agentId, (agent) => {
          const progress = applyEvent(agent.progress, event);
          if (progress === agent.progress) return undefined;
          const status = deriveStatus(progress);
          // A hire step finished after the retirement began (the retirement overtook it): ask the
          // cascade to retire again, or what that step created would be left orphaned.
          const overtaken =
            progress.retireRequestedAt !== undefined &&
            progress.hire !== agent.progress.hire &&
            !agent.outbox.some((e) => e.type === 'AgentRetired');
          const again = pending(
            'AgentRetired',
            { agentId, reason: `retirement repeated: ${event.type} arrived after it began` },
            {},
            agent.correlationId,
          );
          return {
            ...agent,
            progress,
            status,
            outbox: overtaken ? [...agent.outbox, again] : agent.outbox,
            ...(status === 'retired' ? { retiredAt: event.metadata.occurredAt } : {}),
          };
        });
        if (agent.outbox.length > 0) await flushQuietly(agent);
      } catch (error) {
        if (error instanceof NotFoundError) {
          // The hire may not be recorded yet (events race each other): try again later.
          throw new TransientError(
            'AGENT_NOT_YET_KNOWN',
            `${event.type} for "${agentId}", which the directory does not know (yet)`,
          );
        }
        throw error;
      }
    },

    /**
     * Publishes whatever earlier writes could not (the bus was down, the process died). Events
     * younger than `graceMs` are left to the request that wrote them, which is most likely
     * publishing them right now: sweeping them too would only put duplicates on the bus.
     */
    async sweepOutbox({ limit = 100, graceMs = 10_000 } = {}): Promise<number> {
      const cutoff = Date.parse(now()) - graceMs;
      const owing = (await store.withPendingEvents(limit)).filter((agent) =>
        agent.outbox.some((e) => Date.parse(e.occurredAt) <= cutoff),
      );
      for (const agent of owing) await flush(agent);
      return owing.length;
    },
  };

  /** After a write the record is safe; a failed publish is left to the sweeper, not to the caller. */
  async function flushQuietly(agent: StoredAgent): Promise<StoredAgent> {
    try {
      return await flush(agent);
    } catch (error) {
      logger.warn('events not published yet; the outbox sweeper will retry', {
        agentId: agent.agentId,
        error,
      });
      return agent;
    }
  }
}

export type Directory = ReturnType<typeof createDirectory>;

function hireEventData(request: HireRequest): EventDataInput<'AgentHired'> {
  return {
    agentId: request.agentId,
    name: request.name,
    title: request.title,
    level: request.level,
    department: request.department,
    managerId: request.managerId,
    ...(request.team === undefined ? {} : { team: request.team }),
    ...(request.roleTemplate === undefined ? {} : { roleTemplate: request.roleTemplate }),
    ...(request.model === undefined ? {} : { model: request.model }),
    ...(request.skills === undefined ? {} : { skills: [...request.skills] }),
  };
}
