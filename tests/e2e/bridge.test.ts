import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MatrixAuth, MatrixClient } from 'matrix-bot-sdk';
import { createNaming } from '@ocf/naming';
import { CEO_ID } from '@ocf/events';
import { createMemoryLogger } from '@ocf/logging';
import { useFleetLoggerForMatrix } from '@ocf/matrix';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { agentSecretName } from '@ocf/secrets';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { homeserverUnderTest, type HomeserverUnderTest } from '../support/homeserver.ts';
import { listenOnBus, type BusEvent } from '../support/listener.ts';
import { registerHuman } from '../support/matrix.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';
import { fleetQuiet } from '../support/signals.ts';

/**
 * The small org of the issue: a VP with two directors in one department, a manager under one of
 * them with two engineers in its Platform team, and a Sales department with a Platform team too.
 * The CEO is a person, registered on the homeserver like any human.
 */
const ORG = [
  {
    agentId: 'grace',
    name: 'Grace Hopper',
    title: 'VP Engineering',
    level: 'vp',
    department: 'Research & Development',
    manager: 'ceo',
  },
  {
    agentId: 'ada',
    name: 'Ada Lovelace',
    title: 'Director of Platform',
    level: 'director',
    department: 'Research & Development',
    manager: 'grace',
  },
  {
    agentId: 'alan',
    name: 'Alan Turing',
    title: 'Director of Research',
    level: 'director',
    department: 'Research & Development',
    manager: 'grace',
  },
  {
    agentId: 'linus',
    name: 'Linus Torvalds',
    title: 'Engineering Manager',
    level: 'manager',
    department: 'Research & Development',
    team: 'Platform',
    manager: 'ada',
  },
  {
    agentId: 'ken',
    name: 'Ken Thompson',
    title: 'Staff Engineer',
    level: 'ic',
    department: 'Research & Development',
    team: 'Platform',
    manager: 'linus',
  },
  {
    agentId: 'dennis',
    name: 'Dennis Ritchie',
    title: 'Senior Engineer',
    level: 'ic',
    department: 'Research & Development',
    team: 'Platform',
    manager: 'linus',
  },
  {
    agentId: 'mary',
    name: 'Mary Barra',
    title: 'VP Sales',
    level: 'vp',
    department: 'Sales',
    manager: 'ceo',
  },
  {
    agentId: 'sam',
    name: 'Sam Walton',
    title: 'Sales Engineer',
    level: 'ic',
    department: 'Sales',
    team: 'Platform',
    manager: 'mary',
  },
] as const;
const AGENTS = ORG.map((a) => a.agentId);
const RND_PLATFORM = 'research-and-development.platform-team';

// Directory, credentials and bridge as real processes on moto and the real Synapse, driven through
// the directory's REST API and checked through Matrix, as a person with a Matrix client would.
describe('the bridge, end to end (directory + credentials + bridge)', () => {
  const clients = awsClients();
  const secretsManager = new SecretsManagerClient({});
  const routing = fleetRouting(uniqueEnvironment('bridge'));
  // The fleet's namespace on the shared homeserver, which keeps everything of earlier runs.
  const namespace = routing.environment;
  const env = { OCF_ENV: routing.environment, DIRECTORY_OUTBOX_SWEEP_MS: '1000' };
  let hs: HomeserverUnderTest;
  let ceo: { userId: string; client: MatrixClient };
  let directory: RunningServiceProcess;
  let credentials: RunningServiceProcess;
  let bridge: RunningServiceProcess;
  let token: string;
  let toBridge: Awaited<ReturnType<typeof listenOnBus>>[];
  let fromBridge: Awaited<ReturnType<typeof listenOnBus>>;

  before(async () => {
    useFleetLoggerForMatrix(createMemoryLogger(), 'ERROR');
    hs = await homeserverUnderTest();
    await applyRouting(routing, clients);
    // Copies of everything routed to the bridge, to deliver it all again later.
    toBridge = await Promise.all([
      listenOnBus(clients, routing.busName, {
        source: ['ocf.directory'],
        'detail-type': ['AgentHired', 'AgentUpdated', 'AgentRetired'],
      }),
      listenOnBus(clients, routing.busName, {
        source: ['ocf.credentials'],
        'detail-type': ['CredentialsIssued', 'CredentialsRotated'],
      }),
    ]);
    fromBridge = await listenOnBus(clients, routing.busName, { source: ['ocf.bridge'] });
    ceo = await registerHuman(hs.url, hs.registrationSharedSecret, `ceo-${namespace}`);
    token = await runServiceScript('directory', 'create-token.ts', ['--name', 'e2e-bridge'], env);
    [directory, credentials, bridge] = await Promise.all([
      startServiceProcess('directory', env),
      startServiceProcess('credentials', env),
      startServiceProcess('bridge', {
        ...env,
        MATRIX_HOMESERVER_URL: hs.url,
        MATRIX_SERVER_NAME: hs.serverName,
        // No registration shared secret and no admin: the bridge's token is all it has (ADR 0020).
        BRIDGE_AS_ID: hs.appservice.id,
        BRIDGE_AS_TOKEN: hs.appservice.asToken,
        BRIDGE_HS_TOKEN: hs.appservice.hsToken,
        BRIDGE_SENDER_LOCALPART: hs.appservice.senderLocalpart,
        // Port 9009, where Synapse pushes, may be someone else's: nothing here needs the pushes.
        BRIDGE_AS_PORT: '0',
        BRIDGE_NAMESPACE: namespace,
        BRIDGE_CEO_USER_ID: ceo.userId,
      }),
    ]);
  });

  after(async () => {
    const codes = await Promise.all([directory.stop(), credentials.stop(), bridge.stop()]);
    assert.deepEqual(codes, [0, 0, 0]);
  });

  // --- helpers -------------------------------------------------------------------------------

  const api = (path: string, method: string, body: unknown) =>
    fetch(`${directory.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const statusOf = async (agentId: string) =>
    (
      (await (
        await fetch(`${directory.url}/v1/agents/${agentId}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { status: string }
    ).status;
  const userId = (agentId: string) => `@agent-${namespace}_${agentId}:${hs.serverName}`;
  const alias = (base: string) => createNaming({ serverName: hs.serverName, namespace }).alias(base);
  const bot = () => `@${hs.appservice.senderLocalpart}:${hs.serverName}`;

  /** The room behind an org room's alias, joined by the CEO (who was invited to all of them). */
  const rooms = new Map<string, string>();
  async function room(base: string): Promise<string> {
    const known = rooms.get(base);
    if (known !== undefined) return known;
    const roomId = await ceo.client.resolveRoom(alias(base));
    await ceo.client.joinRoom(roomId);
    rooms.set(base, roomId);
    return roomId;
  }
  const members = async (base: string) => (await ceo.client.getJoinedRoomMembers(await room(base))).sort();
  const expected = (...agentIds: string[]) => [bot(), ceo.userId, ...agentIds.map(userId)].sort();

  /** A room's history as the CEO sees it. matrix-bot-sdk has no API for /messages, hence doRequest. */
  async function history(
    base: string,
  ): Promise<{ type: string; state_key?: string; content: Record<string, unknown> }[]> {
    const page = (await ceo.client.doRequest(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(await room(base))}/messages`,
      { dir: 'b', limit: 500 },
    )) as { chunk: { type: string; state_key?: string; content: Record<string, unknown> }[] };
    return page.chunk;
  }
  async function announcements(base: string, kind: 'welcome' | 'farewell'): Promise<string[]> {
    return (await history(base))
      .map((event) => event.content['ocf.announcement'] as { kind: string; agentId: string } | undefined)
      .filter((a) => a?.kind === kind)
      .map((a) => a!.agentId)
      .sort();
  }
  async function joins(base: string, agentId: string): Promise<number> {
    return (await history(base)).filter(
      (e) =>
        e.type === 'm.room.member' && e.state_key === userId(agentId) && e.content['membership'] === 'join',
    ).length;
  }

  /** Publishes each event again as it was (consumers' dedupe) and under a new id (business keys). */
  async function deliverAgain(events: BusEvent[]): Promise<void> {
    const copies = [...events, ...events.map(withNewId)];
    for (let i = 0; i < copies.length; i += 10) {
      await clients.eventBridge.send(
        new PutEventsCommand({ Entries: copies.slice(i, i + 10).map((e) => toEntry(routing.busName, e)) }),
      );
    }
  }
  const toBridgeSoFar = async () => (await Promise.all(toBridge.map((l) => l.drain()))).flat();
  const published = async (type: string) =>
    (await fromBridge.drain()).filter((e) => e['detail-type'] === type).length;

  /** Every room the CEO is in or invited to: each org room invites the CEO once, when it is made. */
  async function ceoRooms(): Promise<{ joined: number; invited: number }> {
    // matrix-bot-sdk only syncs in a loop (start()); one snapshot needs /sync by hand.
    const sync = (await ceo.client.doRequest('GET', '/_matrix/client/v3/sync', {
      timeout: 0,
      filter: JSON.stringify({ room: { timeline: { limit: 0 }, state: { types: [] } } }),
    })) as { rooms?: { join?: object; invite?: object } };
    return {
      joined: Object.keys(sync.rooms?.join ?? {}).length,
      invited: Object.keys(sync.rooms?.invite ?? {}).length,
    };
  }

  /** Every access token read from a secret, rotated ones included: none may show up in logs or events. */
  const everyToken = new Set<string>();
  async function secretToken(agentId: string): Promise<string | undefined> {
    const { SecretString } = await secretsManager.send(
      new GetSecretValueCommand({
        SecretId: agentSecretName(routing.environment, agentId),
        VersionStage: 'AWSCURRENT',
      }),
    );
    const token = (JSON.parse(SecretString ?? '{}') as { matrix?: { accessToken?: string } }).matrix
      ?.accessToken;
    if (token !== undefined) everyToken.add(token);
    return token;
  }
  /** Every token seen, kept: a retired agent's secret can no longer be read. */
  const tokens = new Map<string, string>();
  async function tokenOf(agentId: string): Promise<string> {
    const token = tokens.get(agentId) ?? (await secretToken(agentId));
    assert.ok(token !== undefined, `${agentId}'s secret holds a Matrix access token`);
    tokens.set(agentId, token);
    return token;
  }
  /** The agent's session with its secret's token, as its OpenClaw will have it. */
  const loginAs = async (agentId: string) => new MatrixClient(hs.url, await tokenOf(agentId));
  /** No password login is possible: the account never had one (ADR 0020). */
  const passwordLoginRefused = (agentId: string) =>
    assert.rejects(
      new MatrixAuth(hs.url).passwordLogin(userId(agentId), randomUUID()),
      /M_FORBIDDEN|M_USER_DEACTIVATED/,
    );

  // --- the tests -----------------------------------------------------------------------------

  it('hires the small org by REST: every agent gets its account, display name and rooms', async () => {
    const started = Date.now();
    for (const { agentId, ...hire } of ORG) {
      const response = await api('/v1/agents', 'POST', { agentId, ...hire });
      assert.equal(response.status, 202, await response.clone().text());
    }
    await waitFor(
      'every agent to be chat-account-ready',
      async () =>
        (await Promise.all(AGENTS.map(statusOf))).every((s) => s === 'chat-account-ready') ? true : undefined,
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    process.stderr.write(`[bridge e2e] org hired and chat-ready in ${Date.now() - started} ms\n`);

    for (const agent of ORG) {
      const profile = (await ceo.client.getUserProfile(userId(agent.agentId))) as { displayname?: string };
      assert.equal(profile.displayname, `${agent.name} — ${agent.title}`);
    }
    assert.deepEqual(await members('all-employees'), expected(...AGENTS));
    assert.deepEqual(await members('research-and-development-leadership'), expected('grace', 'ada', 'alan'));
    assert.deepEqual(await members('sales-leadership'), expected('mary'));
    assert.deepEqual(await members(RND_PLATFORM), expected('linus', 'ken', 'dennis'));
    assert.deepEqual(await members('sales.platform-team'), expected('sam'));
    for (const { agentId, manager } of ORG) {
      assert.deepEqual(
        await members(`dm.${manager}.${agentId}`),
        manager === CEO_ID ? expected(agentId) : expected(agentId, manager),
      );
    }
  });

  it('marks every manager↔report room direct for both, and the token in the secret is the agent', async () => {
    for (const { agentId, manager } of ORG) {
      const roomId = await room(`dm.${manager}.${agentId}`);
      const report = await loginAs(agentId);
      assert.equal((await report.getWhoAmI()).user_id, userId(agentId));
      await passwordLoginRefused(agentId);
      const managerUserId = manager === CEO_ID ? ceo.userId : userId(manager);
      assert.deepEqual((await report.getAccountData<Record<string, string[]>>('m.direct'))[managerUserId], [
        roomId,
      ]);
      if (manager !== CEO_ID) {
        const direct = await (await loginAs(manager)).getAccountData<Record<string, string[]>>('m.direct');
        assert.deepEqual(direct[userId(agentId)], [roomId]);
      }
    }
  });

  it('welcomes every agent exactly once in #all-employees and in its team room', async () => {
    assert.deepEqual(await announcements('all-employees', 'welcome'), [...AGENTS].sort());
    assert.deepEqual(await announcements(RND_PLATFORM, 'welcome'), ['dennis', 'ken', 'linus']);
    assert.deepEqual(await announcements('sales.platform-team', 'welcome'), ['sam']);
  });

  it('delivers every event again, with the same ids and with new ones: nothing doubles', async () => {
    const before = {
      rooms: await ceoRooms(),
      members: await Promise.all([...rooms.keys()].map(members)),
    };
    assert.equal(before.rooms.invited, 0, 'the CEO has joined every org room');
    const inputs = await toBridgeSoFar();
    assert.ok(inputs.length >= 2 * AGENTS.length, `saw ${inputs.length} events routed to the bridge`);
    const readyBefore = await published('ChatAccountReady');

    await deliverAgain(inputs);
    // Each new CredentialsIssued is reported again, and so is each one the credentials service
    // issues for a new AgentHired copy: once those are in, the bridge has handled everything.
    const issuedCopies = inputs.filter((e) => e['detail-type'] === 'CredentialsIssued').length;
    const hiredCopies = inputs.filter((e) => e['detail-type'] === 'AgentHired').length;
    await waitFor(
      'the bridge to handle every copy',
      async () =>
        (await published('ChatAccountReady')) >= readyBefore + issuedCopies + hiredCopies ? true : undefined,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // The copies under the same ids leave no event behind: wait until every copy is handled.
    await fleetQuiet(clients.sqs, routing, ['directory', 'credentials', 'bridge']);

    assert.deepEqual(await ceoRooms(), before.rooms, 'no room was made twice');
    assert.deepEqual(await Promise.all([...rooms.keys()].map(members)), before.members);
    assert.deepEqual(await announcements('all-employees', 'welcome'), [...AGENTS].sort());
    assert.deepEqual(await announcements(RND_PLATFORM, 'welcome'), ['dennis', 'ken', 'linus']);
    assert.deepEqual(await announcements('sales.platform-team', 'welcome'), ['sam']);
    for (const agentId of AGENTS)
      assert.equal(await joins('all-employees', agentId), 1, `${agentId} joined once`);
  });

  it('transfers an engineer to the other Platform team: its rooms follow', async () => {
    const response = await api('/v1/agents/dennis', 'PATCH', {
      department: 'Sales',
      team: 'Platform',
      manager: 'mary',
    });
    assert.equal(response.status, 200, await response.clone().text());

    // The direct room with the new manager, marked on both sides, is the last thing of a move.
    const [dennis, mary] = await Promise.all([loginAs('dennis'), loginAs('mary')]);
    const directOf = async (client: MatrixClient) =>
      client.getAccountData<Record<string, string[]>>('m.direct');
    await waitFor(
      'dennis and mary to share a direct room',
      async () => {
        const roomId = await room('dm.mary.dennis');
        assert.deepEqual((await directOf(dennis))[userId('mary')], [roomId]);
        assert.deepEqual((await directOf(mary))[userId('dennis')], [roomId]);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.deepEqual(await members('sales.platform-team'), expected('sam', 'dennis'));
    assert.deepEqual(await members(RND_PLATFORM), expected('linus', 'ken'));
    assert.deepEqual(
      await members('dm.linus.dennis'),
      [bot(), ceo.userId].sort(),
      'the old reporting line ended',
    );
    assert.deepEqual(await members('dm.mary.dennis'), expected('dennis', 'mary'));
    assert.deepEqual(await announcements(RND_PLATFORM, 'farewell'), ['dennis']);
    assert.deepEqual(await announcements('sales.platform-team', 'welcome'), ['dennis', 'sam']);
    assert.deepEqual(await members('all-employees'), expected(...AGENTS), 'still in the company');
  });

  it('rotates a credential: a new token in the secret works, the old one and its sessions are done', async () => {
    const old = await tokenOf('sam');
    const session = await loginAs('sam');
    assert.equal((await session.getWhoAmI()).user_id, userId('sam'));
    const response = await api('/v1/agents/sam/credentials/rotate', 'POST', { reason: 'e2e' });
    assert.equal(response.status, 202, await response.clone().text());

    // The credentials service writes a version without a token; the bridge adds a new one to it.
    const rotated = await waitFor(
      'a new token in the secret',
      async () => {
        const current = await secretToken('sam');
        return current === undefined || current === old ? undefined : current;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    tokens.set('sam', rotated);
    assert.equal((await (await loginAs('sam')).getWhoAmI()).user_id, userId('sam'));
    await assert.rejects(session.getWhoAmI(), /M_UNKNOWN_TOKEN/);
    await passwordLoginRefused('sam');
  });

  it('retires an engineer: no session left, out of its rooms, with exactly one farewell', async () => {
    const session = await loginAs('ken');
    assert.equal((await session.getWhoAmI()).user_id, userId('ken'));
    const response = await api('/v1/agents/ken/retire', 'POST', {});
    assert.equal(response.status, 202, await response.clone().text());
    await waitFor(
      'ken to be retired',
      async () => ((await statusOf('ken')) === 'retired' ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );

    await assert.rejects(session.getWhoAmI(), /M_UNKNOWN_TOKEN/);
    await passwordLoginRefused('ken');
    assert.deepEqual(await members('all-employees'), expected(...AGENTS.filter((a) => a !== 'ken')));
    assert.deepEqual(await members(RND_PLATFORM), expected('linus'));
    assert.deepEqual(await members('dm.linus.ken'), [bot(), ceo.userId].sort());
    assert.deepEqual(await announcements('all-employees', 'farewell'), ['ken']);
    assert.deepEqual(await announcements(RND_PLATFORM, 'farewell'), ['dennis', 'ken']);
  });

  it('delivers the transfer and the retirement again: nobody moves twice or is said goodbye to twice', async () => {
    const seen = await toBridgeSoFar();
    const changes = seen.filter((e) => ['AgentUpdated', 'AgentRetired'].includes(e['detail-type']));
    const retirements = changes.filter((e) => e['detail-type'] === 'AgentRetired').length;
    assert.ok(retirements >= 1 && changes.length > retirements, 'a transfer and a retirement to repeat');
    const before = { rooms: await ceoRooms(), members: await Promise.all([...rooms.keys()].map(members)) };
    const deactivatedBefore = await published('ChatAccountDeactivated');

    await deliverAgain(changes);
    // Each retirement under a new id is reported deactivated again (the directory waits for it).
    await waitFor(
      'the bridge to handle the copies',
      async () =>
        (await published('ChatAccountDeactivated')) >= deactivatedBefore + retirements ? true : undefined,
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    await fleetQuiet(clients.sqs, routing, ['directory', 'credentials', 'bridge']);

    assert.deepEqual(await ceoRooms(), before.rooms);
    assert.deepEqual(await Promise.all([...rooms.keys()].map(members)), before.members);
    assert.deepEqual(await announcements('all-employees', 'farewell'), ['ken']);
    assert.deepEqual(await announcements(RND_PLATFORM, 'farewell'), ['dennis', 'ken']);
    assert.deepEqual(await announcements('sales.platform-team', 'welcome'), ['dennis', 'sam']);
  });

  it('never lets an access token into the logs or onto the bus', async () => {
    assert.equal(everyToken.size, AGENTS.length + 1, "every agent's token, and sam's rotated one");
    const logs = [...directory.output, ...credentials.output, ...bridge.output].join('\n');
    const bus = JSON.stringify([...(await fromBridge.drain()), ...(await toBridgeSoFar())]);
    assert.ok(logs.includes('chat account created') && bus.length > 2);
    for (const token of everyToken) {
      assert.ok(!logs.includes(token), 'a token is in the logs');
      assert.ok(!bus.includes(token), 'a token is on the bus');
    }
  });
});

/** The same event under a new id: to consumers, another delivery of the same facts. */
function withNewId(event: BusEvent): BusEvent {
  return {
    ...event,
    detail: { ...event.detail, metadata: { ...event.detail.metadata, eventId: randomUUID() } },
  };
}

function toEntry(busName: string, event: BusEvent) {
  return {
    EventBusName: busName,
    Source: event.source,
    DetailType: event['detail-type'],
    Detail: JSON.stringify(event.detail),
  };
}
