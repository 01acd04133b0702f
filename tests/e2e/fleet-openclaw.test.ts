/**
 * Issue 13 item 8: `fleet up` runs real OpenClaw agents by default. The real fleet command, with no
 * agent setting at all, on the test run's moto and Synapse; the only stand-in is the model behind
 * the fleet's model gateway (MODEL_UPSTREAM=openai-compatible, the fake model). One agent, hired by
 * REST as a newcomer would: it runs the agent-container's entrypoint, and a mention of it in its
 * team room is answered with the model's words, which came through the model gateway.
 * Ports: OCF_TEST_FLEET_PORT_BASE + 30 and the next five.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readLocalTaskFile } from '@ocf/agent-tasks';
import { createMemoryLogger } from '@ocf/logging';
import { useFleetLoggerForMatrix } from '@ocf/matrix';
import { createNaming } from '@ocf/naming';
import { startFakeOpenAI, type FakeOpenAI } from '../../agent-container/test/support/fake-openai.ts';
import { uniqueEnvironment, waitFor } from '../support/aws.ts';
import { localAgentsDir, startFleet, testFleetPortBase, type RunningFleet } from '../support/fleet.ts';
import { homeserverUnderTest } from '../support/homeserver.ts';
import { registerHuman } from '../support/matrix.ts';
import { answerTo, say } from '../support/sleep-fleet.ts';

const ANSWER = 'Hello from a real OpenClaw agent, through the fleet’s model gateway.';

describe('fleet up runs real OpenClaw agents by default', { timeout: 600_000 }, () => {
  const environment = uniqueEnvironment('fleet-claw');
  const agentId = 'grace-hopper';
  let fleet: RunningFleet | undefined;
  let llm: FakeOpenAI;
  let person: Awaited<ReturnType<typeof registerHuman>>;

  before(async () => {
    useFleetLoggerForMatrix(createMemoryLogger(), 'ERROR');
    const hs = await homeserverUnderTest();
    // The human CEO of this fleet (the bridge invites it to every org room; the agent takes its DMs).
    person = await registerHuman(hs.url, hs.registrationSharedSecret, `ceo-${environment.slice(-6)}`);
    llm = await startFakeOpenAI(() => ({ text: ANSWER }));
    fleet = await startFleet({
      environment,
      portBase: testFleetPortBase(30),
      env: {
        MODEL_UPSTREAM: 'openai-compatible',
        MODEL_UPSTREAM_URL: llm.baseUrl,
        MODEL_UPSTREAM_MODEL: 'fake-model',
        BRIDGE_CEO_USER_ID: person.userId,
      },
      // The first run on a machine installs OpenClaw's Matrix plugin.
      timeoutMs: 300_000,
    });
  });

  after(async () => {
    if (fleet !== undefined) assert.equal(await fleet.stop(), 0, fleet.console.slice(-30).join('\n'));
    await (llm as FakeOpenAI | undefined)?.close();
  });

  it('starts the agent-container entrypoint for a hire, and the agent answers a mention', async () => {
    assert.ok(fleet);
    await fleet.line(/agents: real OpenClaw agents, on-demand: at most 3 awake at once/);
    await fleet.line(/model: openai-compatible fake-model, through the fleet's model gateway/);

    const hired = await fleet.directory.hire({
      agentId,
      name: 'Grace Hopper',
      title: 'Staff Engineer',
      level: 'ic',
      department: 'Engineering',
      team: 'Platform',
      manager: 'ceo',
    });
    assert.equal(hired.status, 202, await hired.clone().text());
    await fleet.directory.untilStatus(agentId, 'running', 300_000);

    // A real agent: provisioning started the agent-container's entrypoint, not the stand-in.
    const dir = join(localAgentsDir(environment), agentId);
    const task = await readLocalTaskFile(dir);
    assert.deepEqual(task?.command, [
      process.execPath,
      resolve(import.meta.dirname, '../../agent-container/src/main.ts'),
    ]);
    // Its gateway is logged in to Matrix (health calls it running at its /healthz, earlier).
    await waitFor(
      `${agentId} to listen on Matrix`,
      async () =>
        (await readFile(join(dir, 'stdout.log'), 'utf8').catch(() => '')).includes('"message":"agent ready"')
          ? true
          : undefined,
      { timeoutMs: 240_000, intervalMs: 500 },
    );

    const naming = createNaming({ serverName: person.userId.split(':')[1] ?? '', namespace: environment });
    const room = await waitFor(
      'the team room',
      () => person.client.resolveRoom(naming.alias('engineering.platform-team')),
      { timeoutMs: 30_000 },
    );
    await person.client.joinRoom(room);
    const agentUserId = naming.agentUserId(agentId);
    await waitFor('the agent in its team room', async () =>
      (await person.client.getJoinedRoomMembers(room)).includes(agentUserId) ? true : undefined,
    );
    const asked = await say(person.client, room, 'how is the launch going?', agentUserId);
    const answer = await answerTo(person.client, room, agentUserId, asked, 240_000);
    assert.equal(answer.body, ANSWER);
    assert.ok(llm.requests.length > 0, 'the model behind the gateway was asked');
  });
});
