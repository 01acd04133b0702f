import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MatrixClient } from 'matrix-bot-sdk';
import { createMemoryLogger } from '@ocf/logging';
import { useFleetLoggerForMatrix } from '@ocf/matrix';
import { createNaming } from '@ocf/naming';
import { applyRouting, fleetRouting } from '@ocf/routing';
import { awsClients, uniqueEnvironment, waitFor } from '../support/aws.ts';
import { homeserverUnderTest, type HomeserverUnderTest } from '../support/homeserver.ts';
import { registerHuman } from '../support/matrix.ts';
import { runServiceScript, startServiceProcess, type RunningServiceProcess } from '../support/services.ts';

// A person opens a direct chat with an agent from any Matrix client (the web console does it the
// same way): the bridge accepts the invitation for the agent, on the real Synapse, pushed to it as
// the fleet's application service. Another agent's invitation is not accepted (issue 16).
describe("a person's direct chat with an agent (bridge on the real Synapse)", { timeout: 180_000 }, () => {
  const clients = awsClients();
  const routing = fleetRouting(uniqueEnvironment('dm'));
  const namespace = routing.environment;
  const env = { OCF_ENV: routing.environment, DIRECTORY_OUTBOX_SWEEP_MS: '1000' };
  let hs: HomeserverUnderTest;
  let person: { userId: string; client: MatrixClient };
  let services: RunningServiceProcess[] = [];
  let bridge: RunningServiceProcess;
  let token: string;
  let directoryUrl: string;
  const naming = () => createNaming({ serverName: hs.serverName, namespace });

  before(async () => {
    useFleetLoggerForMatrix(createMemoryLogger(), 'ERROR');
    hs = await homeserverUnderTest();
    await applyRouting(routing, clients);
    // Any person of the homeserver, not only the CEO the bridge invites to the org rooms.
    const ceo = await registerHuman(hs.url, hs.registrationSharedSecret, `ceo-${namespace.slice(-8)}`);
    person = await registerHuman(hs.url, hs.registrationSharedSecret, `person-${namespace.slice(-8)}`);
    token = await runServiceScript('directory', 'create-token.ts', ['--name', 'e2e-dm'], env);
    services = await Promise.all([
      startServiceProcess('directory', env),
      startServiceProcess('credentials', env),
      startServiceProcess('bridge', {
        ...env,
        MATRIX_HOMESERVER_URL: hs.url,
        MATRIX_SERVER_NAME: hs.serverName,
        BRIDGE_AS_ID: hs.appservice.id,
        BRIDGE_AS_TOKEN: hs.appservice.asToken,
        BRIDGE_HS_TOKEN: hs.appservice.hsToken,
        BRIDGE_SENDER_LOCALPART: hs.appservice.senderLocalpart,
        // Where Synapse pushes: the invitations arrive there.
        BRIDGE_AS_PORT: new URL(hs.appservice.url).port,
        BRIDGE_NAMESPACE: namespace,
        BRIDGE_CEO_USER_ID: ceo.userId,
      }),
    ]);
    const [directory, , bridgeProcess] = services;
    assert.ok(directory && bridgeProcess);
    directoryUrl = directory.url;
    bridge = bridgeProcess;
    for (const [agentId, manager] of [
      ['dm-ada', 'ceo'],
      ['dm-grace', 'ceo'],
    ] as const) {
      const hired = await fetch(`${directoryUrl}/v1/agents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          agentId,
          name: agentId,
          title: 'VP',
          level: 'vp',
          department: `Dept ${agentId}`,
          manager,
        }),
      });
      assert.equal(hired.status, 202, await hired.text());
    }
    for (const agentId of ['dm-ada', 'dm-grace'])
      await waitFor(`${agentId}'s chat account`, async () => {
        const view = (await (
          await fetch(`${directoryUrl}/v1/agents/${agentId}`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).json()) as { status: string };
        return view.status === 'chat-account-ready' ? true : undefined;
      });
  });

  after(async () => {
    const codes = await Promise.all(services.map((service) => service.stop()));
    assert.deepEqual(codes, [0, 0, 0]);
  });

  /** A membership, read as a member of the room (an agent, through the application service). */
  const membership = async (roomId: string, userId: string, asAgent: string) => {
    const response = await fetch(
      `${hs.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(userId)}?user_id=${encodeURIComponent(asAgent)}`,
      { headers: { authorization: `Bearer ${hs.appservice.asToken}` } },
    );
    return response.ok ? ((await response.json()) as { membership: string }).membership : undefined;
  };
  const bridgeSaid = (message: string, roomId: string) =>
    waitFor(`the bridge: ${message} ${roomId}`, () =>
      bridge.output.some((line) => line.includes(message) && line.includes(roomId)) ? true : undefined,
    );

  it("joins the agent to a person's direct chat and lists it in the agent's m.direct", async () => {
    const agentUserId = naming().agentUserId('dm-ada');
    const roomId = await person.client.createRoom({
      preset: 'trusted_private_chat',
      is_direct: true,
      invite: [agentUserId],
    });
    await waitFor('the agent in the direct chat', async () =>
      (await person.client.getJoinedRoomMembers(roomId)).includes(agentUserId) ? true : undefined,
    );
    // Written just after the join.
    const direct = await waitFor("the room in the agent's m.direct", async () => {
      const response = await fetch(
        `${hs.url}/_matrix/client/v3/user/${encodeURIComponent(agentUserId)}/account_data/m.direct?user_id=${encodeURIComponent(agentUserId)}`,
        { headers: { authorization: `Bearer ${hs.appservice.asToken}` } },
      );
      return response.ok ? ((await response.json()) as Record<string, string[]>)[person.userId] : undefined;
    });
    assert.deepEqual(direct, [roomId]);
  });

  it('does not join an agent to a room another agent invites it to, as a direct chat or not', async () => {
    const ada = naming().agentUserId('dm-ada');
    const grace = naming().agentUserId('dm-grace');
    // An agent acting on its own (here through the application service, as its own login could).
    const created = await fetch(
      `${hs.url}/_matrix/client/v3/createRoom?user_id=${encodeURIComponent(grace)}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${hs.appservice.asToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ preset: 'trusted_private_chat', is_direct: true, invite: [ada] }),
      },
    );
    const answer = (await created.json()) as { room_id: string };
    assert.equal(created.status, 200, JSON.stringify(answer));
    const roomId = answer.room_id;
    // The signal that the bridge has judged this invitation: its log line naming the room.
    await bridgeSaid('direct chat invitation not accepted', roomId);
    assert.ok(
      bridge.output.some(
        (line) => line.includes(roomId) && line.includes('inviter-not-a-person-of-this-homeserver'),
      ),
    );
    assert.equal(await membership(roomId, ada, grace), 'invite', 'still only invited');

    // A person's invitation that is not a direct chat is not accepted either.
    const group = await person.client.createRoom({ preset: 'private_chat', invite: [ada] });
    await bridgeSaid('direct chat invitation not accepted', group);
    assert.equal(
      ((await person.client.getRoomStateEvent(group, 'm.room.member', ada)) as { membership: string })
        .membership,
      'invite',
    );
  });
});
