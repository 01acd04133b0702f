import { createMemoryVersionedRecords } from '@ocf/runtime';
import type { AgentProfile } from '../domain/agent-profile.ts';
import { NO_USAGE, type ProfileStore, type UsageStore, type UsageTotals } from '../ports.ts';
import { keys } from './dynamo-stores.ts';

/** Profiles in a Map: for unit tests. */
export function createMemoryProfileStore(): ProfileStore & { readonly records: Map<string, AgentProfile> } {
  const records = createMemoryVersionedRecords<AgentProfile>((profile) => profile.agentId);
  return records;
}

/** Usage totals in a Map, with the same adds and claims as DynamoDB: for unit tests. */
export function createMemoryUsageStore(): UsageStore & {
  readonly items: Map<string, UsageTotals>;
  readonly notices: Map<string, number>;
} {
  const items = new Map<string, UsageTotals>();
  const notices = new Map<string, number>();
  const add = (pk: string, delta: Omit<UsageTotals, 'calls'>): UsageTotals => {
    const now = items.get(pk) ?? NO_USAGE;
    const next = {
      calls: now.calls + 1,
      tokensIn: now.tokensIn + delta.tokensIn,
      tokensOut: now.tokensOut + delta.tokensOut,
      costMicro: now.costMicro + delta.costMicro,
    };
    items.set(pk, next);
    return next;
  };
  return {
    items,
    notices,
    add(entry) {
      const delta = {
        tokensIn: entry.tokens.tokensIn,
        tokensOut: entry.tokens.tokensOut,
        costMicro: entry.costMicro,
      };
      add(keys.agentDay(entry.agentId, entry.day), delta);
      return Promise.resolve({
        agent: add(keys.agentMonth(entry.agentId, entry.month), delta),
        department: add(keys.departmentMonth(entry.department, entry.month), delta),
        fleet: add(keys.fleetMonth(entry.month), delta),
      });
    },
    monthTotals(agentId, department, month) {
      return Promise.resolve({
        agent: items.get(keys.agentMonth(agentId, month)) ?? NO_USAGE,
        department: items.get(keys.departmentMonth(department, month)) ?? NO_USAGE,
        fleet: items.get(keys.fleetMonth(month)) ?? NO_USAGE,
      });
    },
    claimNotice(claim) {
      const key = keys.notice(claim.kind, claim.scope, claim.owner, claim.month);
      if (notices.get(key) === claim.limitMicro) return Promise.resolve(false);
      notices.set(key, claim.limitMicro);
      return Promise.resolve(true);
    },
  };
}
