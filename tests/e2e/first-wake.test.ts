import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  currentTurn,
  spokenWords,
  type ChatRequest,
  type Reply,
} from '../../agent-container/test/support/fake-openai.ts';
import { waitFor } from '../support/aws.ts';
import {
  agentMessagesBetween,
  answerTo,
  say,
  startSleepFleet,
  type SleepFleet,
} from '../support/sleep-fleet.ts';

// An agent that has never run, woken by a message (ADR 0028): the five services as real processes
// on moto and Synapse, provisioning's local runner starting the real entrypoint with the real
// OpenClaw gateway, the fake model. Under an awake cap of one, two on-demand agents are hired
// together: the earlier hire is put to sleep before it ever ran. A person mentions it: it wakes,
// its gateway's very first sync starts from before it was in any room, and it answers that
// message, once. Without that position OpenClaw's first sync takes the message as history.

describe(
  'an agent that has never run answers the message that first wakes it (real OpenClaw gateway)',
  // Two real gateway starts of 20-90 s each on a busy machine, one after the other (cap of one).
  { timeout: 600_000 },
  () => {
    let fleet: SleepFleet;
    let sleeper: string;
    let other: string;

    const model = (request: ChatRequest): Reply => ({
      text: `On it: ${spokenWords(currentTurn(request).said).slice(0, 60)}`,
    });

    before(async () => {
      fleet = await startSleepFleet({ name: 'firstwake', model, bridgeEnv: { BRIDGE_AWAKE_CAP: '1' } });
      const suffix = fleet.routing.environment.slice(-6);
      sleeper = `bo-${suffix}`;
      other = `cy-${suffix}`;
    });

    after(async () => {
      await fleet.stop();
    });

    const stdout = (agentId: string) =>
      readFile(join(fleet.agentsDir, agentId, 'stdout.log'), 'utf8').catch(() => '');

    it('hired under a full cap, asleep before its first start, it answers the mention that wakes it, once', async () => {
      for (const agentId of [sleeper, other])
        await fleet.hire({
          agentId,
          name: `${agentId} Firstwake`,
          title: 'Director of Platform',
          level: 'director',
          department: 'Engineering',
          team: 'Platform',
          manager: 'ceo',
          wakePolicy: 'on-demand',
          idleTimeoutSeconds: 3600,
        });
      // Two hires over a cap of one: the less recently active (the earlier hire) sleeps at once.
      await fleet.untilStatus(other, 'running');
      await fleet.untilListening(other);
      await fleet.untilStatus(sleeper, 'asleep');
      assert.ok(
        !(await stdout(sleeper)).includes('"message":"agent ready"'),
        'the sleeping agent never listened on Matrix: no saved sync position of its own',
      );

      const { client } = fleet.person;
      const sleeperUserId = fleet.naming.agentUserId(sleeper);
      const teamRoom = await waitFor(
        'the team room',
        () => client.resolveRoom(fleet.naming.alias('engineering.platform-team')),
        { timeoutMs: 30_000 },
      );
      await client.joinRoom(teamRoom);
      await waitFor('the sleeping agent in its team room', async () =>
        (await client.getJoinedRoomMembers(teamRoom)).includes(sleeperUserId) ? true : undefined,
      );

      const mention = await say(client, teamRoom, 'a first question for you', sleeperUserId);
      let answered: string;
      try {
        // Its first gateway start, after the other agent made room: a minute or more on a busy host.
        await fleet.untilListening(sleeper);
        answered = (await answerTo(client, teamRoom, sleeperUserId, mention)).body;
      } catch (error) {
        const events = (await fleet.bus.drain()).map(
          (e) =>
            `${e['detail-type']} ${String(e.detail.data['agentId'])} ${JSON.stringify(e.detail.data['reason'] ?? '')}`,
        );
        const log = (await stdout(sleeper)).split('\n').slice(-30).join('\n');
        throw new Error(`${(error as Error).message}\nevents: ${events.join('; ')}\nstdout:\n${log}`, {
          cause: error,
        });
      }
      assert.equal(answered, 'On it: a first question for you');
      assert.match(
        await stdout(sleeper),
        /"message":"first start: syncing from before the agent was in any room"/,
        'its first gateway started from the position the bridge took with its first token',
      );
      // Once: a later mention is answered after it, so a second answer to the first would lie between.
      const later = await say(client, teamRoom, 'and one more', sleeperUserId);
      await answerTo(client, teamRoom, sleeperUserId, later);
      const between = await agentMessagesBetween(client, teamRoom, sleeperUserId, mention, later);
      assert.deepEqual(
        between.map((m) => m.body),
        ['On it: a first question for you'],
        'the waking mention answered once',
      );
      // The cap held: the other agent made room.
      await fleet.untilStatus(other, 'asleep');
    });
  },
);
