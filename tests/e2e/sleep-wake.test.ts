import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { currentTurn, type ChatRequest, type Reply } from '../../agent-container/test/support/fake-openai.ts';
import { awsClients, waitFor } from '../support/aws.ts';
import { fleetQuiet } from '../support/signals.ts';
import {
  agentMessagesBetween,
  answerTo,
  isAlive,
  say,
  startSleepFleet,
  type SleepFleet,
} from '../support/sleep-fleet.ts';

const IDLE_SECONDS = 20;

// Sleep and wake end to end (ADR 0018, 0019): the five services as real processes on moto and
// Synapse, provisioning's local runner starting the real agent entrypoint with the real OpenClaw
// gateway, and the fake model. One on-demand agent: it goes to sleep after its (short) idle
// timeout, a mention wakes it, and it answers, once each, what it was sent while asleep.
describe(
  'an on-demand agent sleeps when idle and wakes when addressed (real OpenClaw gateway)',
  { timeout: 480_000 },
  () => {
    const codename = `HERON-${randomBytes(3).toString('hex').toUpperCase()}`;
    let fleet: SleepFleet;
    let agentId: string;
    let agentUserId: string;
    let teamRoom: string;
    let dmRoom: string;

    function model(request: ChatRequest): Reply {
      const { said, toolResults } = currentTurn(request);
      const tools = new Set((request.tools ?? []).map((t) => t.function.name));
      const result = toolResults.at(-1);
      if (result !== undefined) {
        const found = /HERON-[0-9A-F]{6}/.exec(result)?.[0];
        return { text: found === undefined ? 'Noted.' : `The codename is ${found}.` };
      }
      if (said.includes('please remember') && tools.has('write'))
        return {
          toolCall: {
            name: 'write',
            arguments: {
              path: 'memory/codename.md',
              content: `# Codename\n\n- The codename is ${codename}.\n`,
            },
          },
        };
      if (said.includes('what is the codename') && tools.has('memory_search'))
        return { toolCall: { name: 'memory_search', arguments: { query: 'codename' } } };
      return { text: `On it: ${said.replace(/^@\S+\s*/, '').slice(0, 60)}` };
    }

    before(async () => {
      fleet = await startSleepFleet({ name: 'sleep', model });
      agentId = `ada-${fleet.routing.environment.slice(-6)}`;
      agentUserId = fleet.naming.agentUserId(agentId);
    });

    after(async () => {
      await fleet.stop();
    });

    const talk = (room: string, text: string, mention = false) =>
      say(fleet.person.client, room, text, mention ? agentUserId : undefined);
    const answer = async (room: string, eventId: string) =>
      (await answerTo(fleet.person.client, room, agentUserId, eventId)).body;
    const between = async (room: string, from: string, to: string) =>
      agentMessagesBetween(fleet.person.client, room, agentUserId, from, to);

    it('starts once after its hire, joins its rooms and remembers what it is asked to', async () => {
      await fleet.hire({
        agentId,
        name: `Ada Sleeper ${agentId.slice(-6)}`,
        title: 'VP of Engineering',
        level: 'vp',
        department: 'Engineering',
        team: 'Platform',
        manager: 'ceo',
        wakePolicy: 'on-demand',
        idleTimeoutSeconds: IDLE_SECONDS,
      });
      await fleet.untilStatus(agentId, 'running');
      const { client } = fleet.person;
      teamRoom = await waitFor(
        'the team room',
        () => client.resolveRoom(fleet.naming.alias('engineering.platform-team')),
        { timeoutMs: 30_000 },
      );
      await client.joinRoom(teamRoom);
      await waitFor('the agent in its team room', async () =>
        (await client.getJoinedRoomMembers(teamRoom)).includes(agentUserId) ? true : undefined,
      );
      // A direct chat: the person invites the agent (is_direct); the agent is joined as the bridge does.
      dmRoom = await client.createRoom({
        preset: 'trusted_private_chat',
        is_direct: true,
        invite: [agentUserId],
      });
      await fleet.joinAsAgent(agentId, dmRoom);

      await answer(teamRoom, await talk(teamRoom, `please remember that the codename is ${codename}`, true));
      const workspace = join(fleet.agentsDir, agentId, 'workspace');
      const notes = await readdir(join(workspace, 'memory'));
      const texts = await Promise.all(notes.map((f) => readFile(join(workspace, 'memory', f), 'utf8')));
      assert.ok(
        texts.some((t) => t.includes(codename)),
        'a memory file holds the codename',
      );
      assert.equal(await answer(dmRoom, await talk(dmRoom, 'hello in private')), 'On it: hello in private');
    });

    it(`goes to sleep ${IDLE_SECONDS} s after it was last addressed: task stopped on purpose, no restart, asleep`, async () => {
      const running = await fleet.task(agentId);
      assert.ok(running !== undefined && isAlive(running), 'the agent runs');
      await fleet.untilStatus(agentId, 'asleep');
      const stopped = await fleet.task(agentId);
      assert.ok(stopped !== undefined && !isAlive(stopped), 'its task is stopped');
      // Everything the sleep caused has been handled: then nothing may have restarted it.
      await fleetQuiet(awsClients().sqs, fleet.routing, ['provisioning', 'health', 'directory', 'bridge']);
      const events = await fleet.bus.drain();
      const about = (type: string) =>
        events.filter((e) => e['detail-type'] === type && e.detail.data['agentId'] === agentId);
      assert.equal(about('AgentAsleep').length, 1);
      assert.deepEqual(about('AgentRestartRequested'), []);
      assert.deepEqual(
        about('AgentStopped').filter((e) => e.detail.data['expected'] === false),
        [],
        'health saw no crash',
      );
      assert.equal((await fleet.task(agentId))?.taskArn, stopped.taskArn, 'nothing started it again');
      assert.equal((await fleet.agent(agentId)).status, 'asleep');
    });

    it('wakes on a mention and answers it once, and the direct message sent while it slept too', async () => {
      const direct = await talk(dmRoom, 'while you slept: a direct question');
      const mention = await talk(teamRoom, 'wake up: a question for you', true);
      assert.equal(await answer(teamRoom, mention), 'On it: wake up: a question for you');
      assert.equal(await answer(dmRoom, direct), 'On it: while you slept: a direct question');
      // Exactly once: a later message in each room is answered after them, so a second answer to
      // the missed ones (a replay of the resumed sync) would have come before it.
      const later = await talk(teamRoom, 'and one more', true);
      const laterDirect = await talk(dmRoom, 'and one more in private');
      await answer(teamRoom, later);
      await answer(dmRoom, laterDirect);
      assert.equal((await between(teamRoom, mention, later)).length, 1, 'the mention answered once');
      assert.equal(
        (await between(dmRoom, direct, laterDirect)).length,
        1,
        'the direct message answered once',
      );
      const events = await fleet.bus.drain();
      assert.ok(
        events.some((e) => e['detail-type'] === 'AgentAwake' && e.detail.data['agentId'] === agentId),
        'provisioning reported the wake',
      );
      assert.ok(((await fleet.agent(agentId)).wakes?.count ?? 0) >= 1, 'the directory counts the wake');
    });

    it('still knows what it wrote to memory before it slept', async () => {
      assert.equal(
        await answer(teamRoom, await talk(teamRoom, 'what is the codename?', true)),
        `The codename is ${codename}.`,
      );
    });
  },
);
