/**
 * Fault suite (issue 12): SIGTERM while a service has messages in flight. The credentials service
 * as its own process, on the test run's moto, is stopped in the middle of a burst of hires; it
 * must exit cleanly (code 0: the forced exit at SHUTDOWN_TIMEOUT_MS exits 1) having finished or
 * handed back what it held, and the next process must do the rest: one secret per hire, nothing
 * in the DLQ.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { catalogue } from '@ocf/events';
import { applyRouting, DIRECTORY_SOURCE, fleetRouting } from '@ocf/routing';
import { createEventBridgePublisher } from '@ocf/runtime';
import { agentSecretName } from '@ocf/secrets';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { deadLetterCount } from '../support/dead-letters.ts';
import { listenOnBus } from '../support/listener.ts';
import { startServiceProcess, type RunningServiceProcess } from '../support/services.ts';
import { fleetQuiet } from '../support/signals.ts';

describe('SIGTERM with messages in flight', { timeout: 4 * 60_000 }, () => {
  const clients = awsClients();
  const secretsManager = new SecretsManagerClient({});
  const routing = fleetRouting(uniqueEnvironment('sigterm'));
  const env = { OCF_ENV: routing.environment, SHUTDOWN_TIMEOUT_MS: '15000' };
  const running: RunningServiceProcess[] = [];

  before(async () => {
    await applyRouting(routing, clients);
  });

  after(async () => {
    for (const service of running) await service.stop();
    secretsManager.destroy();
  });

  it('exits within the stop timeout, and nothing is lost', async (t) => {
    const issued = await listenOnBus(clients, routing.busName, { 'detail-type': ['CredentialsIssued'] });
    const first = await startServiceProcess('credentials', env);
    running.push(first);
    const directory = createEventBridgePublisher({
      client: clients.eventBridge,
      busName: routing.busName,
      source: DIRECTORY_SOURCE,
    });
    const agents = Array.from({ length: 40 }, (_, i) => `sigterm-${i}`);
    await Promise.all(
      agents.map((agentId) =>
        directory.emit('AgentHired', { ...catalogue.AgentHired.example, agentId, managerId: 'ceo' }),
      ),
    );

    // The first hire done: the burst is under way. Stop it now.
    await waitFor('the first hire to be handled', () =>
      first.output.some((line) => line.includes('"credentials issued"')) ? true : undefined,
    );
    const code = await first.stop();
    assert.equal(
      code,
      0,
      `exited cleanly, before the forced exit at ${env.SHUTDOWN_TIMEOUT_MS} ms:\n${first.output.slice(-20).join('\n')}`,
    );
    const drained = first.output
      .map((line) => {
        try {
          return JSON.parse(line) as { message?: string; count?: number };
        } catch {
          return {};
        }
      })
      .find((entry) => entry.message === 'draining in-flight messages');
    assert.ok((drained?.count ?? 0) >= 1, 'SIGTERM came with messages in flight');
    const doneByFirst = first.output.filter((line) => line.includes('"credentials issued"')).length;
    t.diagnostic(
      `in flight at SIGTERM: ${drained?.count}; done by the first process: ${doneByFirst} of ${agents.length}`,
    );

    const second = await startServiceProcess('credentials', env);
    running.push(second);
    await fleetQuiet(clients.sqs, routing, ['credentials']);

    const problems: string[] = [];
    for (const agentId of agents) {
      const name = agentSecretName(routing.environment, agentId);
      const { SecretList = [] } = await secretsManager.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }], IncludePlannedDeletion: true }),
      );
      const count = SecretList.filter((s) => s.Name === name).length;
      if (count !== 1) problems.push(`${agentId}: ${count} secrets`);
    }
    const announced = new Set((await issued.drain()).map((e) => String(e.detail.data['agentId'])));
    for (const agentId of agents)
      if (!announced.has(agentId)) problems.push(`${agentId}: no CredentialsIssued`);
    const letters = await deadLetterCount(clients.sqs, routing.queues.credentials.deadLetterQueueName);
    if (letters > 0) problems.push(`${letters} dead letters`);
    assert.deepEqual(problems, []);
    assert.equal(await second.stop(), 0);
  });
});
