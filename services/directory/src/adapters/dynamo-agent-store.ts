import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '@ocf/errors';
import { createDynamoVersionedRecords } from '@ocf/runtime';
import type { AgentChange, AgentFilter, AgentStore, Page, StoredAgent } from '../ports.ts';

/**
 * Agents in DynamoDB, one item per agent. Besides the record itself each item carries the keys
 * of the table's sparse indexes (`teamKey`, `outboxPending`), so every org query is a Query on
 * an index, never a Scan — except listing everyone, which is a paginated Scan by nature — and
 * the change-feed keys (`changeFeed`, `changedAt`: when this write happened) that let watchers
 * read only what changed.
 */
export function createDynamoAgentStore(client: DynamoDBClient, tableName: string): AgentStore {
  const records = createDynamoVersionedRecords<StoredAgent>({
    client,
    tableName,
    keyAttribute: 'agentId',
    toItem: (agent) => ({
      ...agent,
      teamKey: agent.team === undefined ? undefined : teamKey(agent.department, agent.team),
      outboxPending: agent.outbox.length > 0 ? 'yes' : undefined,
      changeFeed: CHANGE_FEED,
      changedAt: new Date().toISOString(),
    }),
    fromItem,
  });
  const { documents } = records;

  return {
    get: records.get,
    write: records.write,

    async list(filter, page): Promise<Page<StoredAgent>> {
      const startKey = decodeCursor(page.cursor);
      const index = chooseIndex(filter);
      const rest = remainingFilter(filter, index?.covers);
      const common = {
        TableName: tableName,
        Limit: page.limit,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        ...(rest.expression === undefined
          ? {}
          : {
              FilterExpression: rest.expression,
              ExpressionAttributeNames: rest.names,
              ExpressionAttributeValues: rest.values,
            }),
      };
      const result =
        index === undefined
          ? await documents.send(new ScanCommand(common))
          : await documents.send(
              new QueryCommand({
                ...common,
                IndexName: index.name,
                KeyConditionExpression: '#pk = :pk',
                ExpressionAttributeNames: { ...rest.names, '#pk': index.attribute },
                ExpressionAttributeValues: { ...rest.values, ':pk': index.value },
              } satisfies QueryCommandInput),
            );
      return {
        items: (result.Items ?? []).map(fromItem),
        ...(result.LastEvaluatedKey === undefined ? {} : { cursor: encodeCursor(result.LastEvaluatedKey) }),
      };
    },

    async changedSince(since, limit): Promise<readonly AgentChange[]> {
      const changes: AgentChange[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const result = await documents.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'byChange',
            KeyConditionExpression: 'changeFeed = :feed AND changedAt > :since',
            ExpressionAttributeValues: { ':feed': CHANGE_FEED, ':since': since },
            Limit: limit - changes.length,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        );
        for (const item of result.Items ?? [])
          changes.push({ agent: fromItem(item), changedAt: String(item['changedAt']) });
        startKey = result.LastEvaluatedKey;
      } while (startKey !== undefined && changes.length < limit);
      return changes;
    },

    async withPendingEvents(limit) {
      const result = await documents.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'byOutbox',
          KeyConditionExpression: 'outboxPending = :yes',
          ExpressionAttributeValues: { ':yes': 'yes' },
          Limit: limit,
        }),
      );
      return (result.Items ?? []).map(fromItem);
    },
  };
}

/** The change index's one partition (see the routing definition). */
const CHANGE_FEED = 'agents';

function fromItem(item: Record<string, unknown>): StoredAgent {
  const { teamKey: _team, outboxPending: _pending, changeFeed: _feed, changedAt: _changed, ...agent } = item;
  return agent as unknown as StoredAgent;
}

function teamKey(department: string, team: string): string {
  return `${department}#${team}`;
}

type FilterField = keyof AgentFilter;

/** The most selective index for a filter: team, then manager, department, status, level. */
function chooseIndex(
  filter: AgentFilter,
): { name: string; attribute: string; value: string; covers: FilterField[] } | undefined {
  if (filter.team !== undefined) {
    if (filter.department === undefined) {
      throw new ValidationError('team names are unique only within a department: give department too', {
        field: 'query.department',
      });
    }
    return {
      name: 'byTeam',
      attribute: 'teamKey',
      value: teamKey(filter.department, filter.team),
      covers: ['team', 'department'],
    };
  }
  if (filter.managerId !== undefined)
    return { name: 'byManager', attribute: 'managerId', value: filter.managerId, covers: ['managerId'] };
  if (filter.department !== undefined)
    return {
      name: 'byDepartment',
      attribute: 'department',
      value: filter.department,
      covers: ['department'],
    };
  if (filter.status !== undefined)
    return { name: 'byStatus', attribute: 'status', value: filter.status, covers: ['status'] };
  if (filter.level !== undefined)
    return { name: 'byLevel', attribute: 'level', value: filter.level, covers: ['level'] };
  return undefined;
}

function remainingFilter(
  filter: AgentFilter,
  covered: FilterField[] = [],
): { expression?: string; names: Record<string, string>; values: Record<string, unknown> } {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses: string[] = [];
  for (const field of ['department', 'level', 'status', 'managerId'] as const) {
    const value = filter[field];
    if (value === undefined || covered.includes(field)) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    clauses.push(`#${field} = :${field}`);
  }
  return clauses.length === 0 ? { names, values } : { expression: clauses.join(' AND '), names, values };
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ValidationError('cursor is not one this API returned', { field: 'query.cursor' });
}
