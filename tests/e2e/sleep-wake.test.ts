import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FLEET_STOPPER } from '@ocf/agent-tasks';
import { after, before, describe, it } from 'node:test';
import {
  currentTurn,
  spokenWords,
  type ChatRequest,
  type Reply,
} from '../../agent-container/test/support/fake-openai.ts';
import { createDynamoActivityStore } from '../../services/bridge/src/sleep/store.ts';
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
/**
 * An answer that needs a wake waits this long: the bridge's pass, the launch, the agent's start
 * and a cold start of the real gateway (35 s on an idle machine, measured at ~100 s from the wake
 * to the answer with a load average of 10 on two cores), then the model. Not a latency check: the
 * wake-latency benchmark measures that.
 */
const WAKE_ANSWER_MS = 300_000;

// Sleep and wake end to end (ADR 0018, 0019): the five services as real processes on moto and
// Synapse, provisioning's local runner starting the real agent entrypoint with the real OpenClaw
// gateway, and the fake model. One on-demand agent: it goes to sleep after its (short) idle
// timeout, a mention wakes it, and it answers, once each, what it was sent while asleep.

describe(
  'an on-demand agent sleeps when idle and wakes when addressed (real OpenClaw gateway)',
  // Real gateways start in 20-90 s each on a busy machine; this suite starts one, wakes it, then
  // runs three agents under a cap of two through three more wakes.
  { timeout: 1_500_000 },
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
      return { text: `On it: ${spokenWords(said).slice(0, 60)}` };
    }

    before(async () => {
      // A cap of two: the first scenarios have one agent; the cap scenario adds two more.
      fleet = await startSleepFleet({ name: 'sleep', model, bridgeEnv: { BRIDGE_AWAKE_CAP: '2' } });
      agentId = `ada-${fleet.routing.environment.slice(-6)}`;
      agentUserId = fleet.naming.agentUserId(agentId);
    });

    after(async () => {
      await fleet.stop();
    });

    const talk = (room: string, text: string, mention = false) =>
      say(fleet.person.client, room, text, mention ? agentUserId : undefined);
    // When the agent's last answer was sent (the homeserver's clock, which is this machine's).
    let lastAnswerTs = 0;
    const answer = async (room: string, eventId: string, timeoutMs?: number) => {
      try {
        const reply = await answerTo(fleet.person.client, room, agentUserId, eventId, timeoutMs);
        lastAnswerTs = Math.max(lastAnswerTs, reply.ts);
        return reply.body;
      } catch (error) {
        // What the fleet and the agent did meanwhile, with times, to tell a slow machine (a late
        // push from the homeserver, a late launch, a slow gateway start) from a lost message.
        const log = await readFile(join(fleet.agentsDir, agentId, 'stdout.log'), 'utf8').catch(() => '');
        const sent = await fleet.person.client
          .getEvent(room, eventId)
          .then((e: { origin_server_ts?: number }) => new Date(e.origin_server_ts ?? 0).toISOString())
          .catch(() => 'unknown');
        const events = (await fleet.bus.drain()).map(
          (e) =>
            `${(e as { time?: string }).time ?? '?'} ${e['detail-type']} ${String(e.detail.data['agentId'])} ${JSON.stringify(e.detail.data['reason'] ?? '')}`,
        );
        // The services' own lines about this agent, and the bridge's about pushed transactions.
        const names = ['directory', 'credentials', 'bridge', 'provisioning', 'health'];
        const lines = fleet.services.flatMap((service, i) =>
          service.output
            .filter(
              (line) => line.includes(agentId) || (names[i] === 'bridge' && line.includes('transaction')),
            )
            .slice(-15)
            .map((line) => `${names[i] ?? i}: ${line.slice(0, 400)}`),
        );
        throw new Error(
          `${(error as Error).message}\nmessage sent at ${sent}; gave up at ${new Date().toISOString()}\nevents: ${events.join('; ')}\nservices:\n${lines.join('\n')}\nagent stdout:\n${log.split('\n').slice(-30).join('\n')}`,
          { cause: error },
        );
      }
    };
    const patch = async (id: string, body: Record<string, unknown>) => {
      const response = await fetch(`${fleet.directoryUrl}/v1/agents/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${fleet.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 200, await response.text());
    };
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
        // Long while the rooms are set up and it is taught the codename (a busy machine takes
        // longer than the short timeout between two steps); the next test makes it short.
        idleTimeoutSeconds: 3600,
      });
      await fleet.untilStatus(agentId, 'running');
      await fleet.untilListening(agentId);
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
      // Answered by the agent, with the model's words (not an OpenClaw notice).
      assert.equal(await answer(dmRoom, await talk(dmRoom, 'hello in private')), 'On it: hello in private');
    });

    it(`goes to sleep ${IDLE_SECONDS} s after it was last addressed: task stopped on purpose, no restart, asleep`, async () => {
      const running = await fleet.task(agentId);
      assert.ok(running !== undefined && isAlive(running), 'the agent runs');
      // The bridge hears the rooms through the homeserver's pushes, which can trail the agent's own
      // sync by seconds on a loaded machine, and its idle clock counts from what it has heard.
      // Shorten the timeout only once it has heard the last answer (and so the message before it):
      // otherwise the agent may fall asleep first and the late push of that message wake it again,
      // rightly, as a message the bridge has just learnt of.
      const activity = createDynamoActivityStore(awsClients().dynamodb, fleet.routing.tables.bridge.name);
      // A bound, not a measure: on a busy machine the push has trailed by more than 20 s.
      await waitFor(
        "the bridge to hear the agent's last answer",
        async () => {
          const spokeAt = (await activity.get(agentId))?.lastSpokeAt;
          return spokeAt !== undefined && Date.parse(spokeAt) >= lastAnswerTs ? true : undefined;
        },
        { timeoutMs: 90_000 },
      );
      await patch(agentId, { idleTimeoutSeconds: IDLE_SECONDS });
      await fleet.untilStatus(agentId, 'asleep');
      // Stopped on purpose: provisioning removes task.json once the task has exited, and
      // exit.json says it stopped that task, for sleep.
      const stopped = await fleet.task(agentId);
      if (stopped !== undefined && isAlive(stopped)) {
        // Which task lives (the one that ran, or a new launch) and what the bus carried about the
        // agent since, so a failure on a loaded machine says whether it never stopped or woke again.
        const seen = (await fleet.bus.drain())
          .filter((e) => e.detail.data['agentId'] === agentId)
          .map(
            (e) =>
              `${(e as { time?: string }).time ?? '?'} ${e['detail-type']} ${JSON.stringify(e.detail.data)}`,
          );
        assert.fail(
          `its task is stopped, but ${stopped.taskArn} (pid ${stopped.pid}) lives; the task that ran was ${running.taskArn}\n${seen.join('\n')}`,
        );
      }
      const exit = await fleet.exit(agentId);
      assert.ok(exit !== undefined, 'exit.json says how it ended');
      assert.equal(exit.taskArn, running.taskArn, 'the task that ran is the one that ended');
      assert.equal(exit.stoppedBy, FLEET_STOPPER, 'stopped by provisioning, on purpose');
      assert.match(exit.reason ?? '', /^sleep \(idle\)/);
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
      assert.deepEqual(
        [...new Set(about('AgentLaunching').map((e) => e.detail.data['taskArn']))],
        [running.taskArn],
        'launched once, at its hire',
      );
      const after = await fleet.task(agentId);
      assert.ok(after === undefined || !isAlive(after), 'nothing started it again');
      assert.equal((await fleet.agent(agentId)).status, 'asleep');
    });

    it('wakes on a mention and answers it once, and the direct message sent while it slept too', async () => {
      const direct = await talk(dmRoom, 'while you slept: a direct question');
      const mention = await talk(teamRoom, 'wake up: a question for you', true);
      // Answered by the agent, with the model's words.
      assert.equal(await answer(teamRoom, mention, WAKE_ANSWER_MS), 'On it: wake up: a question for you');
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

    it('wakes on a mention in its team room, answers it once, and still knows what it wrote to memory before it slept', async () => {
      // Asleep again: idle for its 20 s since the last test's answers.
      await fleet.untilStatus(agentId, 'asleep');
      const wakesBefore = (await fleet.agent(agentId)).wakes?.count ?? 0;
      const before = await fleet.bus.drain();
      const count = (events: typeof before, type: string) =>
        events.filter((e) => e['detail-type'] === type && e.detail.data['agentId'] === agentId).length;
      const requestedBefore = count(before, 'AgentWakeRequested');
      const awakeBefore = count(before, 'AgentAwake');
      const question = await talk(teamRoom, 'what is the codename?', true);
      assert.equal(await answer(teamRoom, question, WAKE_ANSWER_MS), `The codename is ${codename}.`);
      // Exactly once: a later mention is answered after it, so a second answer to the waking one
      // (a replay of the resumed sync) would have come before that.
      const later = await talk(teamRoom, 'and one more', true);
      await answer(teamRoom, later);
      assert.equal((await between(teamRoom, question, later)).length, 1, 'the waking mention answered once');
      const events = await fleet.bus.drain();
      assert.equal(count(events, 'AgentWakeRequested') - requestedBefore, 1, 'one wake asked for');
      assert.equal(count(events, 'AgentAwake') - awakeBefore, 1, 'provisioning reported the wake');
      assert.equal(
        (await fleet.agent(agentId)).wakes?.count,
        wakesBefore + 1,
        'the directory counts the wake',
      );
    });

    it('under an awake cap of 2, three agents addressed in turn: the least recently active sleeps first, every message answered', async () => {
      const { client } = fleet.person;
      const others = ['bo', 'cy'].map((name) => `${name}-${agentId.slice(-6)}`);
      // From now on only the cap puts agents to sleep: a longer idle timeout, changed by PATCH.
      await patch(agentId, { idleTimeoutSeconds: 3600 });
      for (const other of others)
        await fleet.hire({
          agentId: other,
          name: `${other} Capped`,
          title: 'Director of Platform',
          level: 'director',
          department: 'Engineering',
          team: 'Platform',
          manager: agentId,
          wakePolicy: 'on-demand',
          idleTimeoutSeconds: 3600,
        });
      for (const other of others) {
        await fleet.untilStatus(other, 'running');
        await fleet.untilListening(other);
      }
      // Three awake is over the cap: the least recently active (the first agent) is put to sleep.
      await fleet.untilStatus(agentId, 'asleep');
      const userOf = (id: string) => fleet.naming.agentUserId(id);
      await waitFor('both in the team room', async () => {
        const members = await client.getJoinedRoomMembers(teamRoom);
        return others.every((o) => members.includes(userOf(o))) ? true : undefined;
      });
      const ask = async (id: string, text: string) => {
        const asked = await say(client, teamRoom, text, userOf(id));
        // Most of these wake an agent the cap put to sleep.
        return (await answerTo(client, teamRoom, userOf(id), asked, WAKE_ANSWER_MS)).body;
      };
      // bo, then cy, speak: cy is now more recently active than bo.
      assert.equal(await ask(others[0]!, 'bo, warm up'), 'On it: bo, warm up');
      assert.equal(await ask(others[1]!, 'cy, warm up'), 'On it: cy, warm up');

      const evictions = async () =>
        (await fleet.bus.drain())
          .filter((e) => e['detail-type'] === 'AgentSleepRequested' && e.detail.data['reason'] === 'evicted')
          .map((e) => String(e.detail.data['agentId']));
      const before = (await evictions()).length;
      // The sleeping one is addressed: the least recently active awake one (bo) makes room.
      assert.equal(await ask(agentId, 'first, your turn'), 'On it: first, your turn');
      // Then bo: cy is now the least recently active awake one. Then cy: the first agent is.
      assert.equal(await ask(others[0]!, 'bo, your turn again'), 'On it: bo, your turn again');
      assert.equal(await ask(others[1]!, 'cy, your turn again'), 'On it: cy, your turn again');
      assert.deepEqual((await evictions()).slice(before), [others[0], others[1], agentId]);
      await fleet.untilStatus(agentId, 'asleep');
    });

    it('retires a sleeping agent through the reverse cascade without waking it', async () => {
      const retiree = `cy-${agentId.slice(-6)}`;
      // Put to sleep by the operator, then retired.
      const slept = await fetch(`${fleet.directoryUrl}/v1/agents/${retiree}/sleep`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fleet.token}` },
      });
      assert.equal(slept.status, 202);
      await fleet.untilStatus(retiree, 'asleep');
      const launchesBefore = (await fleet.bus.drain()).filter(
        (e) => e['detail-type'] === 'AgentLaunching' && e.detail.data['agentId'] === retiree,
      ).length;
      const retired = await fetch(`${fleet.directoryUrl}/v1/agents/${retiree}/retire`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fleet.token}` },
      });
      assert.equal(retired.status, 202, await retired.text());
      await fleet.untilStatus(retiree, 'retired');
      const events = (await fleet.bus.drain()).filter((e) => e.detail.data['agentId'] === retiree);
      assert.equal(
        events.filter((e) => e['detail-type'] === 'AgentLaunching').length,
        launchesBefore,
        'never launched again',
      );
      assert.ok(events.some((e) => e['detail-type'] === 'MemoryArchived'));
      const task = await fleet.task(retiree);
      assert.ok(task === undefined || !isAlive(task), 'no task runs');
    });
  },
);
