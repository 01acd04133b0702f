import type { EventData, Level } from '@ocf/events';

/**
 * The bridge's own copy of what it knows about an agent, kept so it never has to ask another
 * service. Events arrive in any order and more than once, so the record is a merge of facts, not
 * a log: every field remembers when it was set (the occurredAt of the event that set it) and only
 * a newer fact replaces it. Applying the same events in any order, any number of times, gives the
 * same record — so no handler ever has to wait for another event to arrive first.
 */

/** Where an agent sits in the org: everything its display name and rooms are made from. */
export interface Position {
  readonly name: string;
  readonly title: string;
  readonly level: Level;
  readonly department: string;
  readonly team: string | undefined;
  /** An agent id, or `ceo` for the human at the root. */
  readonly managerId: string;
}

/** A value and when it became true. */
export interface Stamped<T> {
  readonly value: T;
  readonly at: string;
}

export interface PositionFields {
  readonly name?: Stamped<string>;
  readonly title?: Stamped<string>;
  readonly level?: Stamped<Level>;
  readonly department?: Stamped<string>;
  /** `null`: the agent is in no team (an update can take one away). */
  readonly team?: Stamped<string | null>;
  readonly managerId?: Stamped<string>;
}

/** What the bridge last made of the agent's Matrix account. */
export interface AccountRecord {
  readonly state: 'none' | 'ready' | 'deactivated';
  /** The secret version holding the account's live access token; a rotation changes it (ADR 0020). */
  readonly appliedSecretVersionId?: string | undefined;
}

export interface AgentRecord {
  readonly agentId: string;
  readonly fields: PositionFields;
  /** Latest hire and latest retirement: whichever is later says whether the agent is in the org. */
  readonly hiredAt?: string | undefined;
  readonly retiredAt?: string | undefined;
  /** The credentials service made (or restored) the agent's secret. */
  readonly credentialsIssuedAt?: string | undefined;
  readonly account: AccountRecord;
}

export function emptyRecord(agentId: string): AgentRecord {
  return { agentId, fields: {}, account: { state: 'none' } };
}

export function mergeHire(record: AgentRecord, hire: EventData<'AgentHired'>, at: string): AgentRecord {
  return {
    ...record,
    hiredAt: latest(record.hiredAt, at),
    fields: mergeFields(
      record.fields,
      {
        name: hire.name,
        title: hire.title,
        level: hire.level,
        department: hire.department,
        team: hire.team ?? null,
        managerId: hire.managerId,
      },
      at,
    ),
  };
}

export function mergeUpdate(
  record: AgentRecord,
  changes: EventData<'AgentUpdated'>['changes'],
  at: string,
): AgentRecord {
  return { ...record, fields: mergeFields(record.fields, changes, at) };
}

export function mergeRetirement(record: AgentRecord, at: string): AgentRecord {
  return { ...record, retiredAt: latest(record.retiredAt, at) };
}

export function mergeCredentialsIssued(record: AgentRecord, at: string): AgentRecord {
  return { ...record, credentialsIssuedAt: latest(record.credentialsIssuedAt, at) };
}

/** What the agent's chat account should be, given everything known. */
export type Lifecycle =
  /** No hire seen yet: nothing to do until it arrives (an update or credentials came first). */
  | { readonly kind: 'unknown' }
  /** In the org, but its secret is not there yet: the account waits for it. */
  | { readonly kind: 'awaiting-credentials'; readonly position: Position }
  /** In the org with a secret: the account must exist, carry its name and sit in its rooms. */
  | { readonly kind: 'active'; readonly position: Position }
  /** Out of the org: nothing of it may stay able to log in. */
  | { readonly kind: 'retired' };

export function lifecycle(record: AgentRecord): Lifecycle {
  const { hiredAt, retiredAt, credentialsIssuedAt } = record;
  if (retiredAt !== undefined && (hiredAt === undefined || retiredAt >= hiredAt)) return { kind: 'retired' };
  const position = positionOf(record.fields);
  if (hiredAt === undefined || position === undefined) return { kind: 'unknown' };
  // Issued during the current tenure: a secret issued before the last retirement is scheduled for
  // deletion until the credentials service restores it, and says so with a new CredentialsIssued.
  const issuedNow =
    credentialsIssuedAt !== undefined && (retiredAt === undefined || credentialsIssuedAt > retiredAt);
  return issuedNow ? { kind: 'active', position } : { kind: 'awaiting-credentials', position };
}

export function positionOf(fields: PositionFields): Position | undefined {
  const { name, title, level, department, team, managerId } = fields;
  if (name === undefined || title === undefined || level === undefined) return undefined;
  if (department === undefined || managerId === undefined) return undefined;
  return {
    name: name.value,
    title: title.value,
    level: level.value,
    department: department.value,
    team: team?.value ?? undefined,
    managerId: managerId.value,
  };
}

type FieldValues = {
  readonly [K in keyof PositionFields]?: NonNullable<PositionFields[K]>['value'] | undefined;
};

function mergeFields(fields: PositionFields, values: FieldValues, at: string): PositionFields {
  const merged: Record<string, Stamped<unknown>> = { ...fields };
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const current = merged[key];
    if (current === undefined || newer({ value, at }, current)) merged[key] = { value, at };
  }
  return merged;
}

/**
 * Later wins. Two facts stamped with the same instant are told apart by their values, so that
 * even then the outcome does not depend on the order they were applied in.
 */
function newer(candidate: Stamped<unknown>, current: Stamped<unknown>): boolean {
  if (candidate.at !== current.at) return candidate.at > current.at;
  return JSON.stringify(candidate.value) > JSON.stringify(current.value);
}

function latest(current: string | undefined, at: string): string {
  return current === undefined || at > current ? at : current;
}
