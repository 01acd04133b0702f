import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoVersionedRecords } from '@ocf/runtime';
import type { AgentProfile } from '../domain/agent-profile.ts';
import {
  NO_USAGE,
  type ProfileStore,
  type ScopeTotals,
  type UsageStore,
  type UsageTotals,
} from '../ports.ts';

/** Keys of the gateway's one table (routing: `tables.modelGateway`, key `pk`). */
export const keys = {
  profile: (agentId: string) => `agent#${agentId}`,
  agentMonth: (agentId: string, month: string) => `usage#agent#${agentId}#${month}`,
  agentDay: (agentId: string, day: string) => `usage#agent#${agentId}#${day}`,
  departmentMonth: (department: string, month: string) => `usage#department#${department}#${month}`,
  fleetMonth: (month: string) => `usage#fleet#${month}`,
  notice: (kind: string, scope: string, owner: string, month: string) =>
    `notice#${kind}#${scope}#${owner}#${month}`,
};

/** Agent profiles, one item each, written whole with a version condition (shared VersionedRecords). */
export function createDynamoProfileStore(client: DynamoDBClient, tableName: string): ProfileStore {
  const records = createDynamoVersionedRecords<AgentProfile>({
    client,
    tableName,
    keyAttribute: 'pk',
    toItem: (profile) => ({ ...profile, pk: keys.profile(profile.agentId) }),
    fromItem: ({ pk: _pk, ...profile }) => profile as unknown as AgentProfile,
  });
  return { get: (agentId) => records.get(keys.profile(agentId)), write: records.write };
}

/**
 * Usage totals as atomic adds (`ADD calls :1, tokensIn :in, ...`): four items per call (the
 * agent's month and day, its department's month, the fleet's month), written in parallel, each
 * answering its totals after the add. Notices are claimed with a conditional write.
 */
export function createDynamoUsageStore(client: DynamoDBClient, tableName: string): UsageStore {
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  async function add(
    pk: string,
    values: { tokensIn: number; tokensOut: number; costMicro: number },
    extra: Record<string, string>,
  ): Promise<UsageTotals> {
    const names: Record<string, string> = {};
    const sets: string[] = [];
    const setValues: Record<string, string> = {};
    for (const [i, [name, value]] of Object.entries(extra).entries()) {
      names[`#s${i}`] = name;
      setValues[`:s${i}`] = value;
      sets.push(`#s${i} = :s${i}`);
    }
    const { Attributes } = await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk },
        UpdateExpression: `ADD calls :one, tokensIn :in, tokensOut :out, costMicro :cost${sets.length > 0 ? ` SET ${sets.join(', ')}` : ''}`,
        ...(sets.length > 0 ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: {
          ':one': 1,
          ':in': values.tokensIn,
          ':out': values.tokensOut,
          ':cost': values.costMicro,
          ...setValues,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return totalsOf(Attributes);
  }

  return {
    async add(entry) {
      const values = {
        tokensIn: entry.tokens.tokensIn,
        tokensOut: entry.tokens.tokensOut,
        costMicro: entry.costMicro,
      };
      const [agent, , department, fleet] = await Promise.all([
        add(keys.agentMonth(entry.agentId, entry.month), values, {
          agentId: entry.agentId,
          department: entry.department,
        }),
        add(keys.agentDay(entry.agentId, entry.day), values, { agentId: entry.agentId }),
        add(keys.departmentMonth(entry.department, entry.month), values, { department: entry.department }),
        add(keys.fleetMonth(entry.month), values, {}),
      ]);
      return { agent, department, fleet };
    },

    async monthTotals(agentId, department, month): Promise<ScopeTotals> {
      const wanted = {
        agent: keys.agentMonth(agentId, month),
        department: keys.departmentMonth(department, month),
        fleet: keys.fleetMonth(month),
      };
      const { Responses } = await documents.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: { Keys: Object.values(wanted).map((pk) => ({ pk })), ConsistentRead: true },
          },
        }),
      );
      const items = new Map((Responses?.[tableName] ?? []).map((item) => [item['pk'] as string, item]));
      return {
        agent: totalsOf(items.get(wanted.agent)),
        department: totalsOf(items.get(wanted.department)),
        fleet: totalsOf(items.get(wanted.fleet)),
      };
    },

    async claimNotice(claim) {
      try {
        await documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: keys.notice(claim.kind, claim.scope, claim.owner, claim.month) },
            UpdateExpression: 'SET limitMicro = :limit, claimedAt = :at',
            ConditionExpression: 'attribute_not_exists(limitMicro) OR limitMicro <> :limit',
            ExpressionAttributeValues: { ':limit': claim.limitMicro, ':at': new Date().toISOString() },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}

function totalsOf(item: Record<string, unknown> | undefined): UsageTotals {
  if (item === undefined) return NO_USAGE;
  const n = (key: string) => {
    const value = item[key];
    return typeof value === 'number' ? value : 0;
  };
  return { calls: n('calls'), tokensIn: n('tokensIn'), tokensOut: n('tokensOut'), costMicro: n('costMicro') };
}
