import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { agentSecretName } from '@ocf/secrets';
import { isAlive, readLocalTaskFile } from '../../shared/agent-tasks/src/index.ts';
import { waitFor } from './aws.ts';
import { fleetDeadLetterCounts } from './dead-letters.ts';
import { homeserverUnderTest } from './homeserver.ts';
import { registerHuman } from './matrix.ts';
import { FLEET_SERVICES, localAgentsDir, type RunningFleet } from './fleet.ts';
import { fleetQuiet } from './signals.ts';

/**
 * What "nothing lost, nothing doubled" means for a fleet of local (stand-in) agents, checked
 * through what a person could look at: the directory's status, the agents' folders and
 * processes, Secrets Manager, Synapse's admin API, and every DLQ.
 */
export interface ExpectedAgents {
  /** Hired and never retired: `running`, one live process, started once. */
  readonly running: readonly string[];
  /** Hired, then retired: `retired`, no process, no task.json. */
  readonly retired: readonly string[];
}

/** Waits until every agent shows its final status, however long the faults made that take. */
export async function untilSettled(
  fleet: RunningFleet,
  expected: ExpectedAgents,
  { timeoutMs = 240_000 } = {},
): Promise<void> {
  const want = new Map([
    ...expected.running.map((id) => [id, 'running'] as const),
    ...expected.retired.map((id) => [id, 'retired'] as const),
  ]);
  let last: Record<string, string> = {};
  await waitFor(
    'every agent to reach its final status',
    async () => {
      const seen = await Promise.all(
        [...want.keys()].map(
          async (id) => [id, (await fleet.directory.agent(id))?.status ?? 'unknown'] as const,
        ),
      );
      last = Object.fromEntries(seen);
      return seen.every(([id, status]) => want.get(id) === status) ? true : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  ).catch((error: unknown) => {
    const off = Object.entries(last).filter(([id, status]) => want.get(id) !== status);
    throw new Error(`not settled: ${JSON.stringify(Object.fromEntries(off))}`, { cause: error });
  });
}

async function startsOf(dir: string): Promise<number> {
  const text = await readFile(path.join(dir, 'workspace', 'starts'), 'utf8').catch(() => '0');
  return Number(text) || 0;
}

interface AgentAccount {
  readonly deactivated: boolean;
}

/** Synapse's admin API as a fresh admin of the test's own: accounts, their devices and rooms. */
async function synapseAdmin(namespace: string) {
  const hs = await homeserverUnderTest();
  const admin = await registerHuman(
    hs.url,
    hs.registrationSharedSecret,
    `fault-admin-${namespace}-${Date.now()}`,
    { admin: true },
  );
  const get = async <T>(pathAndQuery: string): Promise<T> => {
    const response = await fetch(`${hs.url}${pathAndQuery}`, {
      headers: { authorization: `Bearer ${admin.client.accessToken}` },
    });
    assert.equal(response.status, 200, `Synapse admin ${pathAndQuery}: ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    /** Every account whose localpart starts with `agent-<namespace>_`, deactivated ones included. */
    async agentAccounts(): Promise<Map<string, AgentAccount>> {
      const prefix = `@agent-${namespace}_`;
      const accounts = new Map<string, AgentAccount>();
      let from: string | undefined = '0';
      while (from !== undefined) {
        const page: { users: { name: string; deactivated: boolean }[]; next_token?: string } = await get(
          `/_synapse/admin/v2/users?name=${encodeURIComponent(`agent-${namespace}_`)}&deactivated=true&limit=500&from=${from}`,
        );
        for (const user of page.users)
          if (user.name.startsWith(prefix)) accounts.set(user.name, { deactivated: user.deactivated });
        from = page.next_token;
      }
      return accounts;
    },
    /** How many devices (sessions) the account has, and how many rooms it is in. */
    async reach(userId: string): Promise<{ devices: number; rooms: number }> {
      const user = encodeURIComponent(userId);
      const [devices, rooms] = await Promise.all([
        get<{ total: number }>(`/_synapse/admin/v2/users/${user}/devices`),
        get<{ total: number }>(`/_synapse/admin/v1/users/${user}/joined_rooms`),
      ]);
      return { devices: devices.total, rooms: rooms.total };
    },
  };
}

/**
 * After the queues went quiet: each agent has exactly the outcome expected, exactly once, and
 * nothing is left in any DLQ. `others` are agents of the same fleet from other tests, left out
 * of the account count.
 */
export async function assertNothingLostNothingDoubled(
  fleet: RunningFleet,
  expected: ExpectedAgents,
  clients: { sqs: SQSClient; secretsManager: SecretsManagerClient },
  log: (line: string) => void = () => undefined,
): Promise<void> {
  let since = Date.now();
  const took = (what: string) => {
    log(`${what}: ${((Date.now() - since) / 1000).toFixed(1)} s`);
    since = Date.now();
  };
  await fleetQuiet(clients.sqs, fleet.routing, FLEET_SERVICES, { timeoutMs: 180_000 });
  took('queues quiet');
  const root = localAgentsDir(fleet.environment);
  const problems: string[] = [];

  for (const agentId of [...expected.running, ...expected.retired]) {
    const view = await fleet.directory.agent(agentId);
    const retired = expected.retired.includes(agentId);
    const dir = path.join(root, agentId);
    const task = await readLocalTaskFile(dir);
    const starts = await startsOf(dir);
    const health = (view?.['health'] as { state?: string } | undefined)?.state;
    const name = agentSecretName(fleet.environment, agentId);
    const { SecretList = [] } = await clients.secretsManager.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }], IncludePlannedDeletion: true }),
    );
    const secrets = SecretList.filter((s) => s.Name === name);
    // A retirement that overtook the hire may have come before the secret was made: none is fine then.
    if (retired ? secrets.length > 1 : secrets.length !== 1)
      problems.push(`${agentId}: ${secrets.length} secrets`);
    if (retired) {
      if (view?.status !== 'retired') problems.push(`${agentId}: ${view?.status} instead of retired`);
      if (task !== undefined) problems.push(`${agentId}: task.json left behind (pid ${task.pid})`);
      if (starts > 1) problems.push(`${agentId}: started ${starts} times`);
      if (health !== undefined && health !== 'stopped')
        problems.push(`${agentId}: health ${health} after retiring`);
      if (secrets[0] !== undefined && secrets[0].DeletedDate === undefined)
        problems.push(`${agentId}: secret not scheduled for deletion`);
    } else {
      if (view?.status !== 'running') problems.push(`${agentId}: ${view?.status} instead of running`);
      if (task === undefined || !isAlive(task)) problems.push(`${agentId}: no live task`);
      if (starts !== 1) problems.push(`${agentId}: started ${starts} times`);
    }
  }

  took('statuses, tasks and secrets');
  // One account per agent id (the user id is the agent's); a hire's account is open, a retired
  // agent's is closed: no session and in no room (ADR 0020 closes it rather than deactivating it,
  // so a re-hire can open it again). One made by an older bridge may be deactivated instead.
  const synapse = await synapseAdmin(fleet.environment);
  const accounts = await synapse.agentAccounts();
  for (const agentId of [...expected.running, ...expected.retired]) {
    const retired = expected.retired.includes(agentId);
    const userIds = [...accounts.keys()].filter((u) =>
      u.startsWith(`@agent-${fleet.environment}_${agentId}:`),
    );
    const [userId] = userIds;
    if (userIds.length > 1) problems.push(`${agentId}: ${userIds.length} Matrix accounts`);
    // Retired before the chat step: no account was made, and none is owed.
    if (userId === undefined) {
      if (!retired) problems.push(`${agentId}: no Matrix account`);
      continue;
    }
    const account = accounts.get(userId);
    if (!retired) {
      if (account?.deactivated === true) problems.push(`${agentId}: account deactivated`);
      continue;
    }
    if (account?.deactivated === true) continue;
    const { devices, rooms } = await synapse.reach(userId);
    if (devices > 0 || rooms > 0)
      problems.push(`${agentId}: account not closed (${devices} sessions, in ${rooms} rooms)`);
  }
  took('Matrix accounts');

  const letters = await fleetDeadLetterCounts(clients.sqs, fleet.routing);
  took('dead letters');
  if (Object.values(letters).some((n) => n > 0)) problems.push(`dead letters: ${JSON.stringify(letters)}`);
  assert.deepEqual(problems, [], problems.join('\n'));
}
