import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { Appservice, MemoryStorageProvider } from 'matrix-bot-sdk';
import { createMemoryLogger } from '@ocf/logging';
import { useFleetLoggerForMatrix } from '@ocf/matrix';
import { homeserverUnderTest, type HomeserverUnderTest } from '../support/homeserver.ts';
import { registerHuman } from '../support/matrix.ts';

/** The client side of the fleet's application service, as the bridge builds it. */
function bridgeAppservice(hs: HomeserverUnderTest): Appservice {
  return new Appservice({
    homeserverName: hs.serverName,
    homeserverUrl: hs.url,
    // Only the client side is used here; begin() (the transaction listener) is never called.
    port: 0,
    bindAddress: '127.0.0.1',
    storage: new MemoryStorageProvider(),
    registration: {
      id: hs.appservice.id,
      as_token: hs.appservice.asToken,
      hs_token: hs.appservice.hsToken,
      sender_localpart: hs.appservice.senderLocalpart,
      namespaces: {
        users: [
          {
            exclusive: true,
            regex: `@${hs.appservice.userPrefix}.*:${hs.serverName.replaceAll('.', '\\.')}`,
          },
        ],
        rooms: [],
        aliases: [],
      },
    },
  });
}

// Against the real Synapse process: agent users are created the way the bridge will create them
// (as the fleet's application service), humans through the shared-secret admin API.
describe('Synapse with matrix-bot-sdk', () => {
  let hs: HomeserverUnderTest;
  let appservice: Appservice;
  before(async () => {
    // The SDK's own logging goes through the fleet's redacting logger (kept in memory here).
    useFleetLoggerForMatrix(createMemoryLogger(), 'WARN');
    hs = await homeserverUnderTest();
    appservice = bridgeAppservice(hs);
  });

  it('creates an agent user, a room and a message, and reads it back as another member', async () => {
    const suffix = `plumbing-${randomBytes(3).toString('hex')}`;
    const agent = appservice.getIntentForSuffix(suffix);
    await agent.ensureRegistered();
    assert.equal(agent.userId, `@${hs.appservice.userPrefix}${suffix}:${hs.serverName}`);
    await agent.underlyingClient.setDisplayName('Ada Lovelace — Staff Engineer');

    const human = await registerHuman(
      hs.url,
      hs.registrationSharedSecret,
      `ceo-${randomBytes(3).toString('hex')}`,
    );
    const roomId = await agent.underlyingClient.createRoom({
      name: 'Plumbing check',
      preset: 'private_chat',
      invite: [human.userId],
    });
    const eventId = await agent.underlyingClient.sendText(roomId, 'Hello from the fleet');

    await human.client.joinRoom(roomId);
    const event = (await human.client.getEvent(roomId, eventId)) as {
      sender: string;
      content: { body: string };
    };
    assert.equal(event.sender, agent.userId);
    assert.equal(event.content.body, 'Hello from the fleet');

    const profile = (await human.client.getUserProfile(agent.userId)) as { displayname?: string };
    assert.equal(profile.displayname, 'Ada Lovelace — Staff Engineer');
  });

  it('registering the same agent twice is harmless', async () => {
    const suffix = `twice-${randomBytes(3).toString('hex')}`;
    await appservice.getIntentForSuffix(suffix).ensureRegistered();
    // A fresh appservice (a restarted bridge) has no memory of it and registers again.
    const again = bridgeAppservice(hs).getIntentForSuffix(suffix);
    await again.ensureRegistered();
    assert.equal(await again.underlyingClient.getUserId(), again.userId);
  });
});
