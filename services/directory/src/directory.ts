import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, TransientError, ValidationError } from '@ocf/errors';
import type { AnyFleetEvent, EventDataInput, EventType } from '@ocf/events';
import type { Logger } from '@ocf/logging';
import { createOutboxWriter, outboxEvent, outboxEventOf, type EventPublisher } from '@ocf/runtime';
import {
  hiredEventData,
  isActive,
  samePosition,
  type AgentStatus,
  type HireRequest,
  type Position,
} from './domain/agent.ts';
import { managersFirst, runManagersFirst } from './domain/import-order.ts';
import { planOrg, type OrgPlan, type PlannedChange } from './domain/org-plan.ts';
import type { ValidOrg } from '@ocf/org-file';
import { checkPosition, checkReportsStillFit, type OrgViolation } from './domain/org-rules.ts';
import { applySpendEvent } from './domain/spend.ts';
import { IN_PASSING, resyncDue, type ResyncPolicy } from './domain/resync.ts';
import { applyEvent, deriveStatus, EMPTY_PROGRESS, startRetirement } from './domain/status.ts';
import type { AgentFilter, AgentStore, PendingEvent, StepBacklog, StoredAgent } from './ports.ts';

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
  /**
   * How many hires an org import or apply runs at once (DIRECTORY_IMPORT_CONCURRENCY). Each hire
   * is a few AWS calls in a row, so hiring one at a time leaves the store and the bus mostly idle.
   */
  readonly importConcurrency?: number;
  /**
   * Messages waiting for the steps after a status (ADR 0024): while any wait, the cascade resync
   * leaves agents at that status alone. None given: every stalled agent is announced again.
   */
  readonly stepBacklog?: StepBacklog;
}

/** Hires in flight during an import or apply unless configured: see DirectoryDeps. */
export const DEFAULT_IMPORT_CONCURRENCY = 8;

export type PositionChanges = Partial<Position>;

/** What an import did: hires recorded, hires already there, and each refusal with its reason. */
export interface ImportResult {
  readonly hired: number;
  readonly unchanged: number;
  readonly refused: readonly { readonly agentId: string; readonly reason: string }[];
}

/** Where an apply stands: after the plan (`done` 0) and after every change it made. */
export interface ApplyProgress {
  readonly done: number;
  readonly total: number;
  readonly change?: PlannedChange;
}

/** What an apply did: the changes made, and any it could not make, each with its reason. */
export interface ApplyResult {
  readonly plan: OrgPlan['summary'];
  readonly applied: { readonly hire: number; readonly update: number; readonly retire: number };
  readonly notApplied: readonly {
    readonly action: string;
    readonly agentId: string;
    readonly reason: string;
  }[];
  readonly blocked: OrgPlan['blocked'];
}

/**
 * The directory's use cases, shared by the REST routes and the event handlers so a hire by REST
 * and a hire by event take exactly the same path. Every change is written together with the
 * events it owes the bus (the record's outbox, @ocf/runtime's outbox writer), then published,
 * then cleared from the outbox. A hire request arrives validated (the REST body and the event
 * both parse with the AgentHired schema); it is not checked again here, only against the org.
 */
export function createDirectory(deps: DirectoryDeps) {
  const { store, publisher, logger } = deps;
  const importConcurrency = deps.importConcurrency ?? DEFAULT_IMPORT_CONCURRENCY;
  const now = (): string => (deps.now ?? (() => new Date()))().toISOString();
  const records = createOutboxWriter<StoredAgent>({
    records: store,
    publisher,
    logger,
    keyOf: (agent) => agent.agentId,
    // Every write says when it happened, unless the change stamped it itself (a hire).
    beforeWrite: (next, current) =>
      next.updatedAt !== current?.updatedAt ? next : { ...next, updatedAt: now() },
  });

  async function findActive(agentId: string): Promise<StoredAgent | undefined> {
    const agent = await store.get(agentId);
    return agent !== undefined && isActive(agent) ? agent : undefined;
  }

  /** Whether messages wait for the steps after `status`; a failed look says no (resync as before). */
  async function nextStepIsBusy(status: AgentStatus): Promise<boolean> {
    if (deps.stepBacklog === undefined) return false;
    try {
      const waiting = await deps.stepBacklog(status);
      if (waiting > 0)
        logger.info('cascade resync waits: the next step has messages waiting', { status, waiting });
      return waiting > 0;
    } catch (error) {
      logger.warn('could not read the next step backlog; resyncing as if idle', { status, error });
      return false;
    }
  }

  /** Changes a recorded agent; `undefined` from `change` leaves it as it is. */
  async function change(
    agentId: string,
    next: (agent: StoredAgent) => StoredAgent | undefined,
  ): Promise<StoredAgent> {
    const { record } = await records.mutate(agentId, (current) => {
      if (current === undefined) throw new NotFoundError(`no agent "${agentId}"`);
      return next(current);
    });
    if (record === undefined) throw new NotFoundError(`no agent "${agentId}"`);
    return record;
  }

  async function hire(
    request: HireRequest,
    origin: Origin = {},
  ): Promise<{ agent: StoredAgent; created: boolean }> {
    const outcome = { created: false };
    const { record } = await records.mutate(request.agentId, async (existing) => {
      outcome.created = false;
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
        return undefined;
      }
      refuse(await checkPosition(request.agentId, request, findActive));
      const at = now();
      const correlationId = origin.correlationId ?? randomUUID();
      const hired = outboxEventOf('AgentHired', hiredEventData(request), {
        eventId: randomUUID(),
        correlationId,
        causationId: origin.causationId,
        now: new Date(at),
      });
      outcome.created = true;
      return {
        ...request,
        status: 'hired',
        progress: EMPTY_PROGRESS,
        hiredAt: at,
        updatedAt: at,
        hireEventId: hired.eventId,
        correlationId,
        version: existing?.version ?? 0,
        outbox: [hired],
      };
    });
    if (record === undefined) throw new Error(`hire of ${request.agentId} left no record`);
    if (!outcome.created) return { agent: record, created: false };
    logger.info('agent hired', {
      agentId: record.agentId,
      correlationId: record.correlationId,
      rehire: record.version > 1,
    });
    return { agent: await records.flushQuietly(record), created: true };
  }

  /** Every recorded agent, whatever its status. */
  async function all(): Promise<StoredAgent[]> {
    const agents: StoredAgent[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({}, { limit: 500, cursor });
      agents.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return agents;
  }

  const directory = {
    /** One agent, whatever its status. */
    get: (agentId: string) => store.get(agentId),

    /** A page of agents matching every given filter. */
    list: (filter: AgentFilter, page: { limit: number; cursor?: string | undefined }) =>
      store.list(filter, page),

    /**
     * Records a hire and publishes AgentHired. The same hire again (same id, same position) is a
     * no-op that returns the existing agent; the same id with a different position is a conflict.
     * A retired agent can be hired again under its old id.
     */
    hire,

    /**
     * Hires a whole org, a few at a time (`importConcurrency`), each manager's hire finished
     * before any of its reports' starts. Each refusal is listed with its reason; the rest still go
     * ahead, except the reports of a refused manager, which are refused without being tried (they
     * would report to someone other than the file says, or to nobody).
     */
    async importOrg(requests: readonly HireRequest[]): Promise<ImportResult> {
      const { ordered, unreachable } = managersFirst(requests);
      let hired = 0;
      let unchanged = 0;
      const refused: { agentId: string; reason: string }[] = unreachable.map((agentId) => ({
        agentId,
        reason:
          'not reachable from the CEO through managers in the file or the org (a cycle or a missing manager)',
      }));
      const whyNot = new WhyNotPlaced();
      await runManagersFirst(
        ordered,
        importConcurrency,
        async (request) => {
          try {
            const { created } = await hire(request);
            if (created) hired++;
            else unchanged++;
            return true;
          } catch (error) {
            if (!(error instanceof ValidationError || error instanceof ConflictError)) throw error;
            whyNot.refused(request.agentId, error.message);
            refused.push({ agentId: request.agentId, reason: error.message });
            return false;
          }
        },
        (request, outcome) => {
          if (outcome.ran) return;
          refused.push({
            agentId: request.agentId,
            reason: `not hired because ${whyNot.blocked(request.agentId, outcome.blockedBy)}`,
          });
        },
      );
      // In the file's order, not the order the hires happened to finish in: a reader goes down
      // the refusals beside the file.
      const position = new Map(requests.map((request, index) => [request.agentId, index]));
      refused.sort((a, b) => (position.get(a.agentId) ?? 0) - (position.get(b.agentId) ?? 0));
      return { hired, unchanged, refused };
    },

    /** Every recorded agent, whatever its status. */
    all,

    /** The changes that would turn the org as it stands into `org` (nothing is changed). */
    async planOrg(org: ValidOrg, options: { prune: boolean }): Promise<OrgPlan> {
      return planOrg(org, await all(), options);
    },

    /**
     * Converges the org to `org` through the same use cases as a single hire, update or
     * retirement (same rules, same events). The plan is recomputed from the directory every time,
     * so running it again after a crash does only what is left, and a run with nothing left is a
     * no-op (ADR 0023). A change the org rules refuse now (a hire whose manager is not promoted
     * yet, a retirement of a manager whose reports have not moved yet) is tried again after the
     * others, until a round makes no progress; what still cannot be done is returned with why.
     */
    async applyOrg(
      org: ValidOrg,
      options: { prune: boolean; onProgress?: (progress: ApplyProgress) => void },
    ): Promise<ApplyResult> {
      const plan = planOrg(org, await all(), options);
      const total = plan.changes.length;
      const applied = { hire: 0, update: 0, retire: 0 };
      const reasons = new Map<PlannedChange, string>();
      let done = 0;
      options.onProgress?.({ done, total });
      let pending = [...plan.changes];
      while (pending.length > 0) {
        const refused = new Set<PlannedChange>();
        /** Makes one change; false (and why kept) if the org rules refuse it for now. */
        const attempt = async (change: PlannedChange): Promise<boolean> => {
          try {
            await perform(change);
          } catch (error) {
            if (!(
              error instanceof ValidationError ||
              error instanceof ConflictError ||
              error instanceof NotFoundError
            ))
              throw error;
            refused.add(change);
            reasons.set(change, error.message);
            return false;
          }
          applied[change.action]++;
          options.onProgress?.({ done: ++done, total, change });
          return true;
        };
        // Hires a few at a time, managers first, as an import does: a hire changes no record but
        // its own, so no other hire's check can be invalidated by it. Updates and retirements go
        // one at a time after them, in the plan's order: each one's check reads records the others
        // change (a demotion against a report's promotion, a move against a retirement's reports).
        const hires = pending.filter(isHire);
        const whyNot = new WhyNotPlaced();
        await runManagersFirst(
          hires.map((change) => ({ agentId: change.agentId, managerId: change.position.managerId, change })),
          importConcurrency,
          async ({ change }) => {
            const placed = await attempt(change);
            if (!placed) whyNot.refused(change.agentId, reasons.get(change) ?? 'refused');
            return placed;
          },
          ({ agentId, change }, outcome) => {
            if (outcome.ran) return;
            refused.add(change);
            reasons.set(change, `not tried because ${whyNot.blocked(agentId, outcome.blockedBy)}`);
          },
        );
        for (const change of pending) if (!isHire(change)) await attempt(change);
        if (refused.size === pending.length) break;
        pending = pending.filter((change) => refused.has(change));
      }
      if (total > 0) logger.info('org applied', { ...applied, notApplied: pending.length });
      return {
        plan: plan.summary,
        applied,
        notApplied: pending.map((change) => ({
          action: change.action,
          agentId: change.agentId,
          reason: reasons.get(change) ?? 'not attempted',
        })),
        blocked: plan.blocked,
      };
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
      const agent = await change(agentId, (agent) => {
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
      return records.flushQuietly(agent);
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
      refuse(
        blameChangedField(
          (await checkPosition(agentId, next, findActive)) ??
            (changes.level === undefined
              ? undefined
              : checkReportsStillFit(
                  changes.level,
                  (await store.list({ managerId: agentId }, { limit: 100 })).items,
                )),
          changed,
        ),
      );

      const agent = await change(agentId, (agent) => {
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
      return records.flushQuietly(agent);
    },

    /** Asks credentials for a new chat credential. */
    async requestRotation(agentId: string, reason: string | undefined): Promise<void> {
      if ((await findActive(agentId)) === undefined) throw new NotFoundError(`no active agent "${agentId}"`);
      await publisher.emit('CredentialsRotationRequested', {
        agentId,
        ...(reason === undefined ? {} : { reason }),
      });
    },

    /** An operator's "sleep now" or "wake now": provisioning carries it out (ADR 0019). */
    async requestSleepOrWake(agentId: string, action: 'sleep' | 'wake'): Promise<void> {
      if ((await findActive(agentId)) === undefined) throw new NotFoundError(`no active agent "${agentId}"`);
      if (action === 'sleep') await publisher.emit('AgentSleepRequested', { agentId, reason: 'operator' });
      else await publisher.emit('AgentWakeRequested', { agentId, reason: 'operator', seenAt: now() });
    },

    /** Folds one cascade event into the agent's status. */
    async project(event: AnyFleetEvent): Promise<void> {
      const agentId = 'agentId' in event.data ? event.data.agentId : undefined;
      if (agentId === undefined) return;
      if (event.type === 'ModelUsageReported' || event.type === 'AgentBudgetExhausted') {
        await records.mutate(agentId, (agent) => {
          if (agent === undefined) throw notYetKnown(event, agentId);
          const modelSpend = applySpendEvent(agent.modelSpend, event);
          return modelSpend === agent.modelSpend ? undefined : { ...agent, modelSpend };
        });
        return;
      }
      // The soft threshold is for the agent's manager (the bridge tells them); nothing to keep here.
      if (event.type === 'AgentBudgetThresholdReached') return;
      const { record: agent } = await records.mutate(agentId, (agent) => {
        // The hire may not be recorded yet (events race each other): try again later.
        if (agent === undefined) throw notYetKnown(event, agentId);
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
      if (agent !== undefined && agent.outbox.length > 0) await records.flushQuietly(agent);
    },

    /**
     * The cascade resync (ADR 0024): every agent that made no progress for `policy.stalledMs` at a
     * status the cascade only passes through gets its request announced again, through its
     * outbox. A hire is announced again as the same hire (its data and time, a new event id, so
     * every step looks again: each does what is missing and reports what it did); a retirement
     * as a new request to retire, as when a retirement overtook the hire. Returns how many.
     */
    async resyncStalled(policy: ResyncPolicy, { limit = 100 } = {}): Promise<number> {
      let resynced = 0;
      for (const status of IN_PASSING) {
        // Asked once per status, at its first stalled agent: with messages waiting for the next
        // step, the agents at this status are slow, not lost. Announcing them again would only
        // queue a second round of the same work behind the first (at 1,000 hires, 814 repeats of
        // hires only waiting on the bridge's queue; docs/benchmarks.md). Once the queues are
        // empty, a stalled agent's event really is missing, and it is announced again as before.
        let nextStepBusy: boolean | undefined;
        let cursor: string | undefined;
        do {
          const page = await store.list({ status }, { limit: 100, cursor });
          for (const candidate of page.items) {
            if (resynced >= limit) return resynced;
            if (resyncDue(candidate, new Date(now()), policy).action === 'none') continue;
            nextStepBusy ??= await nextStepIsBusy(status);
            if (nextStepBusy) break;
            const { record, written } = await records.mutate(candidate.agentId, (agent) => {
              if (agent === undefined) return undefined;
              const due = resyncDue(agent, new Date(now()), policy);
              if (due.action === 'none') return undefined;
              const event =
                due.action === 'repeat-hire'
                  ? outboxEventOf('AgentHired', hiredEventData(agent), {
                      eventId: randomUUID(),
                      correlationId: agent.correlationId,
                      causationId: agent.hireEventId,
                      // The same hire: a step that orders facts by time sees nothing newer.
                      now: new Date(agent.hiredAt),
                    })
                  : pending(
                      'AgentRetired',
                      { agentId: agent.agentId, reason: 'retirement repeated: no progress for a while' },
                      {},
                      agent.correlationId,
                    );
              return { ...agent, resync: due.mark, outbox: [...agent.outbox, event] };
            });
            if (record === undefined || !written) continue;
            resynced++;
            logger.warn('cascade made no progress; announcing its request again', {
              agentId: record.agentId,
              status: record.status,
              resyncs: record.resync?.count,
            });
            await records.flushQuietly(record);
          }
          cursor = nextStepBusy === true ? undefined : page.cursor;
        } while (cursor !== undefined);
      }
      return resynced;
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
      for (const agent of owing) await records.flush(agent);
      return owing.length;
    },
  };

  async function perform(change: PlannedChange): Promise<void> {
    switch (change.action) {
      case 'hire': {
        const { agentId, name, title, level, department, team, managerId } = change.position;
        const { wakePolicy, idleTimeoutSeconds, monthlyBudgetUsd } = change.position;
        await hire({
          agentId,
          name,
          title,
          level,
          department,
          managerId,
          ...(team === undefined ? {} : { team }),
          ...(wakePolicy === undefined ? {} : { wakePolicy }),
          ...(idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds }),
          ...(monthlyBudgetUsd === undefined ? {} : { monthlyBudgetUsd }),
        });
        return;
      }
      case 'update':
        await directory.update(change.agentId, change.changes);
        return;
      case 'retire':
        await directory.retire(change.agentId, 'not in the applied org file');
        return;
    }
  }

  return directory;
}

export type Directory = ReturnType<typeof createDirectory>;

/** An event the change owes the bus, checked against the catalogue before the record is written. */
function pending<T extends EventType>(
  type: T,
  data: EventDataInput<T>,
  origin: Origin,
  correlationId: string,
): PendingEvent {
  return outboxEvent(type, data, { correlationId, causationId: origin.causationId });
}

function isHire(change: PlannedChange): change is Extract<PlannedChange, { action: 'hire' }> {
  return change.action === 'hire';
}

/**
 * Why an agent was not placed, for a report whose manager was not: names the manager it waited
 * for and the refusal at the top of the chain that blocked it.
 */
class WhyNotPlaced {
  private readonly reasons = new Map<string, string>();
  private readonly rootOf = new Map<string, string>();

  refused(agentId: string, reason: string): void {
    this.reasons.set(agentId, reason);
  }

  blocked(agentId: string, managerId: string): string {
    const root = this.rootOf.get(managerId) ?? managerId;
    this.rootOf.set(agentId, root);
    // No reason only for a loop within the batch, which the callers never pass.
    const reason = this.reasons.get(root) ?? 'its manager never came first';
    return root === managerId
      ? `its manager "${managerId}" was refused: ${reason}`
      : `its manager "${managerId}" was not placed, because "${root}" above it was refused: ${reason}`;
  }
}

function refuse(violation: OrgViolation | undefined): void {
  if (violation !== undefined)
    throw new ValidationError(violation.message, { field: violation.field, code: violation.code });
}

/**
 * An org rule blames one field of the position (`level` cannot report to that manager); when the
 * caller changed only another one, the field they sent is the one to name.
 */
function blameChangedField(
  violation: OrgViolation | undefined,
  changed: readonly (keyof Position)[],
): OrgViolation | undefined {
  if (violation === undefined || changed.includes(violation.field as keyof Position)) return violation;
  const sent = changed.find((key) => key === 'managerId' || key === 'level') ?? changed[0];
  return sent === undefined ? violation : { ...violation, field: sent as OrgViolation['field'] };
}

function notYetKnown(event: AnyFleetEvent, agentId: string): Error {
  return new TransientError(
    'AGENT_NOT_YET_KNOWN',
    `${event.type} for "${agentId}", which the directory does not know (yet)`,
  );
}
