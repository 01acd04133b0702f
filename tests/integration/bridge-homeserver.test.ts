import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { MatrixAuth } from 'matrix-bot-sdk';
import { createMemoryLogger } from '@ocf/logging';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { agentSecretName, SecretText } from '@ocf/secrets';
import { createDynamoBridgeStore } from '../../services/bridge/src/adapters/dynamo-bridge-store.ts';
import { createSecretsManagerAgentSecrets } from '../../services/bridge/src/adapters/secrets-manager-agent-secrets.ts';
import { createSynapseHomeserver } from '../../services/bridge/src/adapters/synapse-homeserver.ts';
import { HomeserverError, type Homeserver } from '../../services/bridge/src/ports.ts';
import { bridgeStoreContract } from '../../services/bridge/test/support/bridge-store-contract.ts';
import { homeserverContract } from '../../services/bridge/test/support/homeserver-contract.ts';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';
import { homeserverUnderTest, type HomeserverUnderTest } from '../support/homeserver.ts';

/** Every name this file makes on the shared, persistent Synapse starts with this. */
const run = `bhs${randomBytes(3).toString('hex')}`;
let n = 0;
const unique = () => `${run}-${++n}`;

function synapseHomeserver(hs: HomeserverUnderTest, overrides: { homeserverUrl?: string } = {}): Homeserver {
  return createSynapseHomeserver({
    homeserverUrl: overrides.homeserverUrl ?? hs.url,
    serverName: hs.serverName,
    registration: {
      id: hs.appservice.id,
      asToken: hs.appservice.asToken,
      hsToken: hs.appservice.hsToken,
      senderLocalpart: hs.appservice.senderLocalpart,
    },
    registrationSharedSecret: new SecretText(hs.registrationSharedSecret),
    logger: createMemoryLogger(),
  });
}

describe('Synapse homeserver adapter', () => {
  let hs: HomeserverUnderTest;
  let homeserver: Homeserver;
  before(async () => {
    hs = await homeserverUnderTest();
    homeserver = synapseHomeserver(hs);
  });

  homeserverContract(() => ({ homeserver, serverName: hs.serverName }), unique);

  it('sets a password the agent can log in with, and after deactivation nothing can', async () => {
    const userId = `@agent-${unique()}:${hs.serverName}`;
    const password = randomBytes(32).toString('base64url');
    await homeserver.registerAgent(userId);
    await homeserver.setPassword(userId, new SecretText(password), { reactivate: false });
    const session = await new MatrixAuth(hs.url).passwordLogin(userId, password);
    assert.equal(await session.getUserId(), userId);

    const roomId = await homeserver.createRoom({
      aliasLocalpart: unique(),
      name: 'direct',
      topic: '',
      invite: [],
      isDirect: false,
      roomVersion: '12',
      powerLevels: {},
    });
    await homeserver.markDirect(userId, homeserver.botUserId, roomId);
    await homeserver.markDirect(userId, homeserver.botUserId, roomId);
    assert.deepEqual(await session.getAccountData('m.direct'), { [homeserver.botUserId]: [roomId] });

    await homeserver.deactivate(userId);
    await assert.rejects(new MatrixAuth(hs.url).passwordLogin(userId, password));
  });

  it('ends every session on the old password when a new one is set', async () => {
    const userId = `@agent-${unique()}:${hs.serverName}`;
    const first = randomBytes(32).toString('base64url');
    await homeserver.registerAgent(userId);
    await homeserver.setPassword(userId, new SecretText(first), { reactivate: false });
    const session = await new MatrixAuth(hs.url).passwordLogin(userId, first);
    await homeserver.setPassword(userId, new SecretText(randomBytes(32).toString('base64url')), {
      reactivate: false,
    });
    await assert.rejects(session.getWhoAmI(), /M_UNKNOWN_TOKEN/);
    await assert.rejects(new MatrixAuth(hs.url).passwordLogin(userId, first));
  });

  it('reports an unreachable homeserver as a failure worth retrying', async () => {
    const nowhere = synapseHomeserver(hs, { homeserverUrl: 'http://127.0.0.1:1' });
    await assert.rejects(
      nowhere.resolveAlias(`#${unique()}:${hs.serverName}`),
      (error: unknown) => error instanceof HomeserverError && error.retryable,
    );
  });
});

describe('bridge table on DynamoDB', () => {
  const routing = fleetRouting(uniqueEnvironment('bridge-store'));
  before(async () => {
    await applyRouting(routing, awsClients());
  });
  bridgeStoreContract(
    () => createDynamoBridgeStore(awsClients().dynamodb, routing.tables.bridge.name),
    unique,
  );
});

describe('agent secrets on Secrets Manager', () => {
  const environment = uniqueEnvironment('bridge-secrets');
  const client = new SecretsManagerClient({});
  const value = (password: string) =>
    JSON.stringify({ version: 1, matrix: { password }, issuedAt: '2026-11-25T10:00:00.000Z' });

  it('reads the current version, and a rotated one once it is current', async () => {
    const secrets = createSecretsManagerAgentSecrets(client, environment);
    const first = randomBytes(32).toString('base64url');
    const created = await client.send(
      new CreateSecretCommand({ Name: agentSecretName(environment, 'ada'), SecretString: value(first) }),
    );
    const current = await secrets.current('ada');
    assert.equal(current.versionId, created.VersionId);
    assert.equal(current.password.reveal(), first);

    const second = randomBytes(32).toString('base64url');
    const put = await client.send(
      new PutSecretValueCommand({
        SecretId: agentSecretName(environment, 'ada'),
        SecretString: value(second),
      }),
    );
    assert.deepEqual(
      {
        versionId: (await secrets.current('ada')).versionId,
        password: (await secrets.current('ada')).password.reveal(),
      },
      { versionId: put.VersionId, password: second },
    );
  });

  it('waits for a secret that is not there yet', async () => {
    await assert.rejects(
      createSecretsManagerAgentSecrets(client, environment).current('nobody'),
      (error: unknown) => (error as { retryable?: boolean }).retryable === true,
    );
  });
});
