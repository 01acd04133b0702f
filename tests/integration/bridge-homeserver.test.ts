import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { MatrixAuth, MatrixClient } from 'matrix-bot-sdk';
import { createMemoryLogger } from '@ocf/logging';
import { createMemoryDedupeStore } from '@ocf/runtime';
import { createNaming, ROOM_ALIAS_PREFIX } from '@ocf/naming';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { agentSecretName, SecretText } from '@ocf/secrets';
import { createDynamoBridgeStore } from '../../services/bridge/src/adapters/dynamo-bridge-store.ts';
import { createSecretsManagerAgentSecrets } from '../../services/bridge/src/adapters/secrets-manager-agent-secrets.ts';
import { createSynapseHomeserver } from '../../services/bridge/src/adapters/synapse-homeserver.ts';
import { buildAppserviceApp } from '../../services/bridge/src/appservice/app.ts';
import { resumeHomeserverPushes } from '../../services/bridge/src/appservice/resume-pushes.ts';
import { HomeserverError, type Homeserver } from '../../services/bridge/src/ports.ts';
import { createDynamoActivityStore } from '../../services/bridge/src/sleep/store.ts';
import { bridgeStoreContract } from '../../services/bridge/test/support/bridge-store-contract.ts';
import { homeserverContract } from '../../services/bridge/test/support/homeserver-contract.ts';
import { bridgeHarness, SMALL_ORG } from '../../services/bridge/test/support/harness.ts';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';
import { homeserverUnderTest, type HomeserverUnderTest } from '../support/homeserver.ts';
import { registerHuman } from '../support/matrix.ts';

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
    logger: createMemoryLogger(),
  });
}

/** Whose session a token is, by Synapse's whoami; undefined once the token no longer works. */
async function tokenOwner(hs: HomeserverUnderTest, token: SecretText): Promise<string | undefined> {
  const response = await fetch(`${hs.url}/_matrix/client/v3/account/whoami`, {
    headers: { authorization: `Bearer ${token.reveal()}` },
  });
  if (response.status === 401) return undefined;
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { user_id: string }).user_id;
}

describe('Synapse homeserver adapter', () => {
  let hs: HomeserverUnderTest;
  let homeserver: Homeserver;
  before(async () => {
    hs = await homeserverUnderTest();
    homeserver = synapseHomeserver(hs);
  });

  homeserverContract(
    () => ({ homeserver, serverName: hs.serverName, tokenOwner: (token) => tokenOwner(hs, token) }),
    unique,
  );

  it('mints a token the agent can use, with no password to log in with and no admin involved', async () => {
    const userId = `@agent-${unique()}:${hs.serverName}`;
    await homeserver.registerAgent(userId);
    const token = await homeserver.issueAccessToken(userId, 'OCFAGENT');
    const session = new MatrixClient(hs.url, token.reveal());
    assert.deepEqual(await session.getWhoAmI(), { user_id: userId, device_id: 'OCFAGENT', is_guest: false });

    const roomId = await homeserver.createRoom({
      aliasLocalpart: `${ROOM_ALIAS_PREFIX}${unique()}`,
      name: 'direct',
      topic: '',
      invite: [],
      agents: [],
      isDirect: false,
      roomVersion: '12',
      powerLevels: {},
    });
    await homeserver.markDirect(userId, homeserver.botUserId, roomId);
    await homeserver.markDirect(userId, homeserver.botUserId, roomId);
    assert.deepEqual(await session.getAccountData('m.direct'), { [homeserver.botUserId]: [roomId] });
    await assert.rejects(new MatrixAuth(hs.url).passwordLogin(userId, randomBytes(32).toString('base64url')));

    await homeserver.closeAccount(userId);
    await assert.rejects(session.getWhoAmI(), /M_UNKNOWN_TOKEN/);
    // The bot is no server admin: the fleet's standing credential cannot reach the admin API.
    const bot = new MatrixClient(hs.url, hs.appservice.asToken);
    assert.equal(await bot.adminApis.synapse.isSelfAdmin(), false);
  });

  it("has Synapse call the bridge's endpoint on request, and says so when nothing answers there", async () => {
    // Nothing listens on the registration's URL yet: Synapse's ping of it fails, and so does ours.
    await assert.rejects(homeserver.resumePushes(), (error: unknown) => {
      assert.ok(error instanceof HomeserverError, String(error));
      assert.match(error.message, /ping the application-service endpoint/);
      return true;
    });
    const endpoint = buildAppserviceApp({
      hsToken: hs.appservice.hsToken,
      naming: createNaming({ serverName: hs.serverName }),
      transactions: createMemoryDedupeStore(),
      logger: createMemoryLogger(),
      onMention: () => Promise.resolve(),
    });
    await endpoint.listen({ host: '127.0.0.1', port: Number(new URL(hs.appservice.url).port) });
    try {
      // Through the bridge's own retries: Synapse's ping right after a failed one can itself fail
      // once ("502 M_CONNECTION_FAILED: AlreadyCalled: Tried to cancel an already-called event",
      // seen in a full CI run), which is why the bridge asks again.
      const logger = createMemoryLogger();
      const resumed = await resumeHomeserverPushes(homeserver, logger, new AbortController().signal, {
        delaysMs: [200, 500, 1_000, 2_000, 5_000],
      });
      assert.equal(resumed, true, JSON.stringify(logger.entries));
    } finally {
      await endpoint.close();
    }
  });

  it('makes an org room invite-only with the fewest state events: no guest access, a topic only if given, agents invited in its initial state', async () => {
    const person = await registerHuman(hs.url, hs.registrationSharedSecret, `outsider-${unique()}`);
    const invitee = await registerHuman(hs.url, hs.registrationSharedSecret, `invitee-${unique()}`);
    const agentId = `@agent-${unique()}:${hs.serverName}`;
    await homeserver.registerAgent(agentId);
    const bot = new MatrixClient(hs.url, hs.appservice.asToken);
    const stateOf = async (roomId: string) =>
      (
        (await bot.getRoomState(roomId)) as {
          type: string;
          state_key: string;
          content: { membership?: string };
        }[]
      )
        .map((e) => (e.type === 'm.room.member' ? `${e.type} ${e.content.membership}` : e.type))
        .sort();
    const designed = (topic?: string, isDirect = false) => ({
      aliasLocalpart: `${ROOM_ALIAS_PREFIX}${unique()}`,
      name: 'Grace Hopper ↔ Ada Lovelace',
      ...(topic === undefined ? {} : { topic }),
      invite: [invitee.userId],
      agents: [agentId],
      isDirect,
      roomVersion: '12',
      powerLevels: { users: { [invitee.userId]: 50 }, users_default: 0, invite: 50, state_default: 100 },
    });

    const direct = await homeserver.createRoom(designed());
    assert.deepEqual(await stateOf(direct), [
      'm.room.canonical_alias',
      'm.room.create',
      'm.room.history_visibility',
      'm.room.join_rules',
      'm.room.member invite',
      'm.room.member invite',
      'm.room.member join',
      'm.room.name',
      'm.room.power_levels',
    ]);
    assert.deepEqual(await bot.getRoomStateEvent(direct, 'm.room.join_rules', ''), { join_rule: 'invite' });
    assert.equal(
      ((await bot.getRoomStateEvent(direct, 'm.room.power_levels', '')) as { invite?: number }).invite,
      50,
      'the power levels given, not the preset’s',
    );
    // The person's invite comes after the room is made, so it carries the room's name for the
    // person's client to show; the agent's is part of the creation, and the agent gets in with it.
    const invited = (
      (await invitee.client.doRequest('GET', '/_matrix/client/v3/sync', { timeout: 0 })) as {
        rooms?: {
          invite?: Record<string, { invite_state: { events: { type: string; content: unknown }[] } }>;
        };
      }
    ).rooms?.invite?.[direct];
    assert.ok(invited, 'the person sees the invite');
    assert.deepEqual(invited.invite_state.events.find((e) => e.type === 'm.room.name')?.content, {
      name: 'Grace Hopper ↔ Ada Lovelace',
    });
    assert.deepEqual(await bot.getRoomStateEvent(direct, 'm.room.member', agentId), { membership: 'invite' });
    // In the room's order: the agent's invite is part of the creation's state (before its name),
    // the person's comes after the room is made.
    const timeline = (
      (await bot.doRequest('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(direct)}/messages`, {
        dir: 'f',
        limit: 50,
      })) as { chunk: { type: string; state_key?: string }[] }
    ).chunk.map((e) => (e.type === 'm.room.member' ? e.state_key : e.type));
    assert.ok(timeline.indexOf(agentId) < timeline.indexOf('m.room.name'), timeline.join(', '));
    assert.ok(timeline.indexOf('m.room.name') < timeline.indexOf(invitee.userId), timeline.join(', '));
    await homeserver.join(direct, agentId);
    assert.equal(await homeserver.membership(direct, agentId), 'join');
    // Invite-only: nobody gets in uninvited, and the invited one does.
    assert.deepEqual((await refusal(person.client.joinRoom(direct))).errcode, 'M_FORBIDDEN');
    await invitee.client.joinRoom(direct);
    // Nor is it listed in the room directory.
    const listed = (await bot.doRequest('GET', '/_matrix/client/v3/publicRooms', { limit: 1000 })) as {
      chunk: { room_id: string }[];
    };
    assert.equal(listed.chunk.filter((r) => r.room_id === direct).length, 0);

    const shared = await homeserver.createRoom(designed('The Platform team of Sales.'));
    assert.ok((await stateOf(shared)).includes('m.room.topic'));
    assert.equal((await stateOf(shared)).length, 10);

    // In a direct room (the CEO is one side) every invite says so: people's clients read it, and
    // so does the bridge's handling of direct chats.
    const withCeo = await homeserver.createRoom(designed(undefined, true));
    for (const userId of [invitee.userId, agentId]) {
      const member = (await bot.getRoomStateEvent(withCeo, 'm.room.member', userId)) as {
        membership?: string;
        is_direct?: boolean;
      };
      assert.deepEqual([member.membership, member.is_direct], ['invite', true], userId);
    }
  });

  it('reports an unreachable homeserver as a failure worth retrying', async () => {
    const nowhere = synapseHomeserver(hs, { homeserverUrl: 'http://127.0.0.1:1' });
    await assert.rejects(
      nowhere.resolveAlias(`#${unique()}:${hs.serverName}`),
      (error: unknown) => error instanceof HomeserverError && error.retryable,
    );
  });
});

/** The Matrix error code of a refused call by matrix-bot-sdk's client, and its HTTP status. */
async function refusal(call: Promise<unknown>): Promise<{ errcode: unknown; status: unknown }> {
  try {
    await call;
  } catch (error) {
    const { body, statusCode } = error as { body?: { errcode?: unknown }; statusCode?: unknown };
    return { errcode: body?.errcode, status: statusCode };
  }
  throw new Error('the call was expected to be refused');
}

describe("the fleet's room alias namespace on Synapse", () => {
  let hs: HomeserverUnderTest;
  before(async () => {
    hs = await homeserverUnderTest();
  });

  it('is closed to people and to agents logged in as themselves (M_EXCLUSIVE)', async () => {
    const person = await registerHuman(hs.url, hs.registrationSharedSecret, `squatter-${unique()}`);
    const agentId = `@agent-${unique()}:${hs.serverName}`;
    const homeserver = synapseHomeserver(hs);
    await homeserver.registerAgent(agentId);
    const agent = new MatrixClient(hs.url, (await homeserver.issueAccessToken(agentId, 'OCFAGENT')).reveal());

    for (const client of [person.client, agent]) {
      // Any fleet's name: the default fleet's and a namespaced one's.
      for (const naming of [
        createNaming({ serverName: hs.serverName }),
        createNaming({ serverName: hs.serverName, namespace: run }),
      ]) {
        const localpart = naming.aliasLocalpart(`${unique()}-leadership`);
        assert.deepEqual(
          await refusal(client.createRoom({ room_alias_name: localpart, preset: 'private_chat' })),
          { errcode: 'M_EXCLUSIVE', status: 400 },
          `creating a room under #${localpart}`,
        );
        const own = await client.createRoom({ preset: 'private_chat' });
        assert.deepEqual(
          await refusal(client.createRoomAlias(`#${localpart}:${hs.serverName}`, own)),
          { errcode: 'M_EXCLUSIVE', status: 400 },
          `pointing #${localpart} at a room of their own`,
        );
      }
    }
    // People's own aliases are still theirs: only the fleet's prefix is reserved.
    const mine = `mine-${unique()}`;
    await person.client.createRoom({ room_alias_name: mine, preset: 'private_chat' });
    assert.ok(await person.client.resolveRoom(`#${mine}:${hs.serverName}`));
  });

  it("fails the agent's chat step at once, naming the alias, when an org room's alias was taken before", async () => {
    const namespace = `sq${randomBytes(3).toString('hex')}`;
    const ceo = await registerHuman(hs.url, hs.registrationSharedSecret, `ceo-${namespace}`);
    const homeserver = synapseHomeserver(hs);
    const naming = createNaming({ serverName: hs.serverName, namespace });
    // Taken before the namespace was the bridge's alone: a room the fleet's bot is not in. Today
    // only the application service itself can still do that, so a user of its namespace makes it.
    const squatter = `@agent-${namespace}-squatter:${hs.serverName}`;
    await homeserver.registerAgent(squatter);
    const taken = naming.alias('all-employees');
    const created = await fetch(
      `${hs.url}/_matrix/client/v3/createRoom?user_id=${encodeURIComponent(squatter)}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${hs.appservice.asToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          room_alias_name: naming.aliasLocalpart('all-employees'),
          preset: 'private_chat',
        }),
      },
    );
    assert.equal(created.status, 200, await created.clone().text());
    const { room_id: squattedRoom } = (await created.json()) as { room_id: string };

    const h = bridgeHarness({
      namespace,
      serverName: hs.serverName,
      ceoUserId: ceo.userId,
      homeserver: () => homeserver,
    });
    const [agentId, hire] = SMALL_ORG[0]!;
    await h.deliver(h.event('AgentHired', { agentId, ...hire }));
    h.secrets.issue(agentId);
    const error = await h.deliverExpectingFailure(
      h.event('CredentialsIssued', {
        agentId,
        secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:ocf/test/agents/${agentId}-a1B2c3`,
        restored: false,
      }),
    );
    assert.equal((error as { code?: string }).code, 'ROOM_ALIAS_TAKEN');
    assert.equal((error as { retryable?: boolean }).retryable, false, 'failed, not parked');
    const failures = h.publishedOf('CascadeStepFailed');
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.data.step, 'chat-account');
    const { reason } = failures[0].data;
    assert.ok(reason.includes(taken), reason);
    assert.ok(reason.includes(squattedRoom), reason);
    assert.equal(h.publishedOf('ChatAccountReady').length, 0);
    assert.equal(await h.store.parked(10).then((parked) => parked.length), 0, 'nobody parked');
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

  it("keeps an agent's direct chats as a set beside its activity, for a restarted bridge to read back", async () => {
    const activity = createDynamoActivityStore(awsClients().dynamodb, routing.tables.bridge.name);
    const agentId = `ada-${unique()}`;
    await activity.stamp(agentId, 'hiredAt', '2026-12-02T10:00:00.000Z');
    await activity.addDirectRoom(agentId, '!b:fleet.test');
    await activity.addDirectRoom(agentId, '!a:fleet.test');
    await activity.addDirectRoom(agentId, '!b:fleet.test');
    const record = (await activity.list()).find((r) => r.agentId === agentId);
    assert.deepEqual(record?.directRooms, ['!a:fleet.test', '!b:fleet.test']);
    assert.equal(record.hiredAt, '2026-12-02T10:00:00.000Z', 'the other fields stay');
  });

  it('reads the activity partition a page at a time, and one agent strongly consistent (ADR 0030)', async () => {
    const activity = createDynamoActivityStore(awsClients().dynamodb, routing.tables.bridge.name);
    const prefix = `pg-${unique()}`;
    const ids = [0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`);
    for (const id of ids) await activity.stamp(id, 'hiredAt', '2026-12-02T10:00:00.000Z');
    await activity.addDirectRoom(ids[2] ?? '', '!dm:fleet.test');
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await activity.page(after, 2);
      assert.ok(page.records.length <= 2, 'at most the page size');
      seen.push(...page.records.map((r) => r.agentId));
      after = page.next;
      pages++;
    } while (after !== undefined);
    assert.ok(pages >= 3, `pages: ${String(pages)}`);
    assert.deepEqual(
      seen.filter((id) => id.startsWith(prefix)),
      ids,
      'every record once, in agent-id order',
    );
    const one = await activity.get(ids[2] ?? '');
    assert.equal(one?.hiredAt, '2026-12-02T10:00:00.000Z');
    assert.deepEqual(one.directRooms, ['!dm:fleet.test']);
    assert.equal(await activity.get(`${prefix}-none`), undefined);
  });
});

describe('agent secrets on Secrets Manager', () => {
  const environment = uniqueEnvironment('bridge-secrets');
  const client = new SecretsManagerClient({});
  const value = (issuedAt: string) => JSON.stringify({ version: 1, issuedAt });
  const secretsOf = () => createSecretsManagerAgentSecrets(client, environment, randomUUID);
  const token = () => new SecretText(`syt_${randomBytes(24).toString('base64url')}`);

  it('adds the Matrix token as the new current version, keeping what the credentials service wrote', async () => {
    const secrets = secretsOf();
    const created = await client.send(
      new CreateSecretCommand({
        Name: agentSecretName(environment, 'ada'),
        SecretString: value('2026-11-25T10:00:00.000Z'),
      }),
    );
    const current = await secrets.current('ada');
    assert.equal(current.versionId, created.VersionId);
    assert.equal(current.value.matrix, undefined);

    const accessToken = token();
    const written = await secrets.addMatrixToken('ada', current, { accessToken, deviceId: 'OCFAGENT' });
    const after = await secrets.current('ada');
    assert.equal(after.versionId, written);
    assert.equal(after.value.issuedAt, '2026-11-25T10:00:00.000Z');
    assert.equal(after.value.matrix?.accessToken?.reveal(), accessToken.reveal());
    assert.equal(after.value.matrix.deviceId, 'OCFAGENT');

    // As on AWS (the local stack's moto launcher makes it so): a reader naming no stage gets the
    // moved AWSCURRENT, and the next rotation leaves exactly one current version.
    const plain = await client.send(
      new GetSecretValueCommand({ SecretId: agentSecretName(environment, 'ada') }),
    );
    assert.equal(plain.VersionId, written);
    const rotated = await client.send(
      new PutSecretValueCommand({
        SecretId: agentSecretName(environment, 'ada'),
        SecretString: value('2026-12-01T08:00:00.000Z'),
      }),
    );
    const described = await client.send(
      new DescribeSecretCommand({ SecretId: agentSecretName(environment, 'ada') }),
    );
    const labelledCurrent = Object.entries(described.VersionIdsToStages ?? {}).filter(([, stages]) =>
      stages.includes('AWSCURRENT'),
    );
    assert.deepEqual(
      labelledCurrent.map(([versionId]) => versionId),
      [rotated.VersionId],
    );
    assert.ok(described.VersionIdsToStages?.[written]?.includes('AWSPREVIOUS'));
  });

  it('never overwrites a rotation that came in between: the compare-and-set refuses, retryably', async () => {
    const secrets = secretsOf();
    await client.send(
      new CreateSecretCommand({
        Name: agentSecretName(environment, 'bob'),
        SecretString: value('2026-11-25T10:00:00.000Z'),
      }),
    );
    const seen = await secrets.current('bob');
    // The credentials service rotates meanwhile.
    const rotated = await client.send(
      new PutSecretValueCommand({
        SecretId: agentSecretName(environment, 'bob'),
        SecretString: value('2026-12-01T08:00:00.000Z'),
      }),
    );
    await assert.rejects(
      secrets.addMatrixToken('bob', seen, { accessToken: token(), deviceId: 'OCFAGENT' }),
      (error: unknown) => (error as { retryable?: boolean }).retryable === true,
    );
    const current = await secrets.current('bob');
    assert.equal(current.versionId, rotated.VersionId, "the rotation's version is still current");
    assert.equal(current.value.issuedAt, '2026-12-01T08:00:00.000Z');
  });

  it('waits for a secret that is not there yet', async () => {
    await assert.rejects(
      secretsOf().current('nobody'),
      (error: unknown) => (error as { retryable?: boolean }).retryable === true,
    );
  });
});
