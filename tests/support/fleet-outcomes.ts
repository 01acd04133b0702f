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

/** Every Synapse account whose localpart starts with `agent-<namespace>_`, and whether it is deactivated. */
async function agentAccounts(namespace: string): Promise<Map<string, boolean>> {
  const hs = await homeserverUnderTest();
  const admin = await registerHuman(
    hs.url,
    hs.registrationSharedSecret,
    `fault-admin-${namespace}-${Date.now()}`,
    {
      admin: true,
    },
  );
  const prefix = `@agent-${namespace}_`;
  const accounts = new Map<string, boolean>();
  let from: string | undefined = '0';
  while (from !== undefined) {
    const url = `${hs.url}/_synapse/admin/v2/users?name=${encodeURIComponent(`agent-${namespace}_`)}&deactivated=true&limit=500&from=${from}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${admin.client.accessToken}` } });
    assert.equal(response.status, 200, `Synapse admin users: ${response.status}`);
    const page = (await response.json()) as {
      users: { name: string; deactivated: boolean }[];
      next_token?: string;
    };
    for (const user of page.users)
      if (user.name.startsWith(prefix)) accounts.set(user.name, user.deactivated);
    from = page.next_token;
  }
  return accounts;
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
  const accounts = await agentAccounts(fleet.environment);
  took('Matrix accounts');
  for (const agentId of [...expected.running, ...expected.retired]) {
    const retired = expected.retired.includes(agentId);
    const userId = [...accounts.keys()].find((u) => u.startsWith(`@agent-${fleet.environment}_${agentId}:`));
    // Retired before the chat step: no account was made, and none is owed.
    if (userId === undefined) {
      if (!retired) problems.push(`${agentId}: no Matrix account`);
    } else if (accounts.get(userId) !== retired)
      problems.push(`${agentId}: account ${accounts.get(userId) === true ? 'deactivated' : 'still active'}`);
  }

  const letters = await fleetDeadLetterCounts(clients.sqs, fleet.routing);
  took('dead letters');
  if (Object.values(letters).some((n) => n > 0)) problems.push(`dead letters: ${JSON.stringify(letters)}`);
  assert.deepEqual(problems, [], problems.join('\n'));
}
