import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sleepInForce, type AgentRecord } from '../../src/domain/agent-record.ts';
import { launchToken } from '../../src/domain/launch-token.ts';
import { reconcile, type Action, type ObservedTask } from '../../src/domain/reconcile.ts';
import { at, hire, ready, T0 } from '../support/records.ts';

const NOW = new Date(T0.getTime() + 60_000);
const task = (agentId: string | undefined, n: number, startedSecond = 3): ObservedTask => ({
  taskArn: `arn:task/${agentId ?? 'nobody'}-${n}`,
  agentId,
  startedAt: at(startedSecond),
});
const kinds = (actions: readonly Action[]) => actions.map((a) => `${a.kind}:${a.agentId ?? '-'}`);

describe('reconcile', () => {
  it('launches an agent once its secret and chat account are ready, with a token of its hire', () => {
    const plan = reconcile([ready('ada')], [], NOW);
    assert.deepEqual(plan.actions, [
      {
        kind: 'launch',
        agentId: 'ada',
        clientToken: launchToken('ada', 'hire-ada-0'),
        hireEventId: 'hire-ada-0',
        secretArn: ready('ada').credentials?.secretArn,
      },
    ]);
  });

  it('waits for every fact: hired, secret, chat account', () => {
    const { credentials: _c, ...noSecret } = ready('ada');
    const { chat: _h, ...noChat } = ready('bob');
    const { hired: _x, ...noHire } = ready('cy');
    assert.deepEqual(reconcile([noSecret, noChat, noHire], [], NOW).actions, []);
  });

  it('leaves a running agent alone, and reports a launch that was never published', () => {
    const launched = ready('ada', {
      launch: { at: at(3), taskArn: 'arn:task/ada-1', hireEventId: 'hire-ada-0', reported: true },
    });
    assert.deepEqual(reconcile([launched], [task('ada', 1)], NOW).actions, []);
    const unreported = ready('ada', { launch: { ...launched.launch!, reported: false } });
    assert.deepEqual(kinds(reconcile([unreported], [task('ada', 1)], NOW).actions), ['report-launch:ada']);
  });

  it('adopts a task started before a crash, instead of launching a second one', () => {
    assert.deepEqual(reconcile([ready('ada')], [task('ada', 7)], NOW).actions, [
      { kind: 'adopt', agentId: 'ada', taskArn: 'arn:task/ada-7' },
    ]);
  });

  it('keeps the recorded task of two and stops the other', () => {
    const launched = ready('ada', {
      launch: { at: at(3), taskArn: 'arn:task/ada-2', hireEventId: 'hire-ada-0', reported: true },
    });
    const plan = reconcile([launched], [task('ada', 1, 3), task('ada', 2, 4)], NOW);
    assert.deepEqual(plan.actions, [
      { kind: 'stop', taskArn: 'arn:task/ada-1', agentId: 'ada', reason: 'a second task for the same agent' },
    ]);
  });

  it('does not relaunch a task that died: that is for health to decide', () => {
    const launched = ready('ada', {
      launch: { at: at(3), taskArn: 'arn:task/ada-1', hireEventId: 'hire-ada-0', reported: true },
    });
    assert.deepEqual(reconcile([launched], [], NOW).actions, []);
  });

  it('replaces the task on a restart request: stop now, launch at notBefore with a new token', () => {
    const restart = {
      at: at(10),
      eventId: 'restart-1',
      correlationId: 'c',
      attempt: 1,
      notBefore: at(70),
      reason: 'exit 1',
    };
    const record = ready('ada', {
      launch: { at: at(3), taskArn: 'arn:task/ada-1', hireEventId: 'hire-ada-0', reported: true },
      restart,
    });
    const running = reconcile([record], [task('ada', 1)], NOW);
    assert.deepEqual(kinds(running.actions), ['stop:ada']);

    const early = reconcile([record], [], NOW);
    assert.deepEqual(early.actions, []);
    assert.equal(early.wakeAt, at(70));

    const due = reconcile([record], [], new Date(Date.parse(at(70))));
    assert.deepEqual(due.actions, [
      {
        kind: 'launch',
        agentId: 'ada',
        clientToken: launchToken('ada', 'hire-ada-0', 'restart-1'),
        hireEventId: 'hire-ada-0',
        restartEventId: 'restart-1',
        secretArn: record.credentials?.secretArn,
      },
    ]);
    assert.notEqual(launchToken('ada', 'hire-ada-0', 'restart-1'), launchToken('ada', 'hire-ada-0'));
  });

  it('replaces the task at once when the secret was rotated, and only once', () => {
    const launch = { at: at(3), taskArn: 'arn:task/ada-1', hireEventId: 'hire-ada-0', reported: true };
    const record = ready('ada', {
      launch,
      rotation: { at: at(20), eventId: 'rot-1', correlationId: 'c', versionId: 'v2' },
    });
    assert.deepEqual(kinds(reconcile([record], [task('ada', 1)], NOW).actions), ['stop:ada']);
    const [launchAction] = reconcile([record], [], NOW).actions;
    assert.equal(launchAction?.kind === 'launch' ? launchAction.restartEventId : undefined, 'rot-1');
    const answered = {
      ...record,
      launch: { ...launch, at: at(21), taskArn: 'arn:task/ada-2', restartEventId: 'rot-1' },
    };
    assert.deepEqual(reconcile([answered], [task('ada', 2, 21)], NOW).actions, []);
  });

  it('adopts the replacement a crashed provisioning started for a restart, rather than stopping it', () => {
    const record = ready('ada', {
      launch: { at: at(3), taskArn: 'arn:task/ada-1', hireEventId: 'hire-ada-0', reported: true },
      restart: {
        at: at(10),
        eventId: 'restart-1',
        correlationId: 'c',
        attempt: 1,
        notBefore: at(11),
        reason: 'x',
      },
    });
    const plan = reconcile([record], [task('ada', 1, 3), task('ada', 2, 12)], NOW);
    assert.deepEqual(plan.actions, [
      { kind: 'stop', taskArn: 'arn:task/ada-1', agentId: 'ada', reason: 'restart requested: x' },
      { kind: 'adopt', agentId: 'ada', taskArn: 'arn:task/ada-2', restartEventId: 'restart-1' },
    ]);
  });

  it('stops a retired agent and finishes its retirement after the stop', () => {
    const record = ready('ada', {
      launch: { at: at(3), taskArn: 'arn:task/ada-1', hireEventId: 'hire-ada-0', reported: true },
      retired: { at: at(20), eventId: 'retire-1', correlationId: 'r' },
    });
    assert.deepEqual(reconcile([record], [task('ada', 1)], NOW).actions, [
      { kind: 'stop', taskArn: 'arn:task/ada-1', agentId: 'ada', reason: 'agent retired' },
      { kind: 'finish-retirement', agentId: 'ada', afterStopping: ['arn:task/ada-1'] },
    ]);
    const done = { ...record, retirement: { retiredEventId: 'retire-1', at: at(21) } };
    assert.deepEqual(reconcile([done], [], NOW).actions, []);
  });

  it('launches a re-hired agent afresh, and ignores facts from before the retirement', () => {
    const rehired: AgentRecord = {
      ...ready('ada', {
        launch: { at: at(3), taskArn: 'arn:task/ada-1', hireEventId: 'hire-ada-0', reported: true },
        retired: { at: at(20), eventId: 'retire-1', correlationId: 'r' },
        retirement: { retiredEventId: 'retire-1', at: at(21) },
      }),
      hired: hire('ada', 30, 'hire-2'),
    };
    assert.deepEqual(
      reconcile([rehired], [], NOW).actions,
      [],
      'secret and chat account are from the old hire',
    );
    const ready2 = {
      ...rehired,
      credentials: { at: at(31), secretArn: rehired.credentials!.secretArn },
      chat: { at: at(32), matrixUserId: '@agent-ada:fleet.test' },
    };
    assert.deepEqual(kinds(reconcile([ready2], [], NOW).actions), ['launch:ada']);
  });

  it('stops tasks of unknown agents, untagged tasks and agents not meant to run', () => {
    const { chat: _c, ...notReady } = ready('bob');
    const plan = reconcile([notReady], [task('ghost', 1), task(undefined, 2), task('bob', 3)], NOW);
    assert.deepEqual(kinds(plan.actions).sort(), ['stop:-', 'stop:bob', 'stop:ghost']);
  });

  it('leaves a crash-looping agent alone until a newer restart request lifts it', () => {
    const looping = ready('ada', {
      launch: { at: at(3), taskArn: 'arn:task/ada-1', hireEventId: 'hire-ada-0', reported: true },
      restart: { at: at(10), eventId: 'r1', correlationId: 'c', attempt: 3, notBefore: at(11), reason: 'x' },
      crashLoop: { at: at(12), eventId: 'loop', correlationId: 'c' },
    });
    assert.deepEqual(reconcile([looping], [task('ada', 1)], NOW).actions, []);
    assert.deepEqual(reconcile([looping], [], NOW).actions, []);
    const lifted = {
      ...looping,
      restart: { ...looping.restart!, at: at(40), eventId: 'operator', notBefore: at(40) },
    };
    assert.deepEqual(kinds(reconcile([lifted], [], NOW).actions), ['launch:ada']);
  });

  it('backs off a launch that failed, until its retry time', () => {
    const record = ready('ada', {
      launchFailure: {
        hireEventId: 'hire-ada-0',
        attempts: 1,
        retryAfter: at(90),
        reason: 'x',
        reported: false,
      },
    });
    const plan = reconcile([record], [], NOW);
    assert.deepEqual(plan.actions, []);
    assert.equal(plan.wakeAt, at(90));
    assert.deepEqual(kinds(reconcile([record], [], new Date(Date.parse(at(90)))).actions), ['launch:ada']);
  });

  describe('sleep and wake (ADR 0019)', () => {
    const launched = (extra: Partial<AgentRecord> = {}): AgentRecord =>
      ready('ada', {
        launch: { at: at(3), taskArn: 'arn:task/ada-1', hireEventId: 'hire-ada-0', reported: true },
        ...extra,
      });
    const sleep = { at: at(20), eventId: 'sleep-1', correlationId: 'c', reason: 'idle' as const };
    const wake = {
      at: at(30),
      eventId: 'wake-1',
      correlationId: 'c',
      reason: 'mention' as const,
      seenAt: at(29),
    };

    it('stops the task of an agent put to sleep on purpose, then reports it asleep once', () => {
      const plan = reconcile([launched({ sleep })], [task('ada', 1)], NOW);
      assert.deepEqual(plan.actions, [
        { kind: 'stop', taskArn: 'arn:task/ada-1', agentId: 'ada', reason: 'sleep (idle)' },
        { kind: 'report-asleep', agentId: 'ada', sleepEventId: 'sleep-1', afterStopping: ['arn:task/ada-1'] },
      ]);
      const reported = launched({ sleep, asleep: { sleepEventId: 'sleep-1', at: at(21) } });
      assert.deepEqual(reconcile([reported], [], NOW).actions, []);
    });

    it('launches a sleeping agent on a wake, with a token of the wake, and answers it once', () => {
      const asleep = launched({ sleep, wake, asleep: { sleepEventId: 'sleep-1', at: at(21) } });
      assert.deepEqual(reconcile([asleep], [], NOW).actions, [
        {
          kind: 'launch',
          agentId: 'ada',
          clientToken: launchToken('ada', 'hire-ada-0', 'wake-1'),
          hireEventId: 'hire-ada-0',
          restartEventId: 'wake-1',
          secretArn: ready('ada').credentials?.secretArn,
        },
      ]);
      const answered = {
        ...asleep,
        launch: {
          at: at(31),
          taskArn: 'arn:task/ada-2',
          hireEventId: 'hire-ada-0',
          restartEventId: 'wake-1',
          reported: true,
        },
      };
      assert.deepEqual(reconcile([answered], [task('ada', 2, 31)], NOW).actions, []);
      // Its task dying later is health's business, not a second answer to the wake.
      assert.deepEqual(reconcile([answered], [], NOW).actions, []);
    });

    it('adopts the task a provisioning killed mid-wake started, instead of a second launch', () => {
      const asleep = launched({ sleep, wake, asleep: { sleepEventId: 'sleep-1', at: at(21) } });
      assert.deepEqual(reconcile([asleep], [task('ada', 2, 31)], NOW).actions, [
        { kind: 'adopt', agentId: 'ada', taskArn: 'arn:task/ada-2', restartEventId: 'wake-1' },
      ]);
    });

    it('the newest request wins: a sleep after the wake puts it back to sleep', () => {
      const again = { ...sleep, at: at(40), eventId: 'sleep-2' };
      const plan = reconcile([launched({ sleep: again, wake })], [task('ada', 2, 31)], NOW);
      assert.deepEqual(kinds(plan.actions), ['stop:ada', 'report-asleep:ada']);
    });

    it('ignores a wake of an agent nobody put to sleep, and a sleep from before the hire', () => {
      assert.deepEqual(reconcile([launched({ wake })], [task('ada', 1)], NOW).actions, []);
      const old = { ...sleep, at: '2026-11-25T09:00:00.000Z' };
      assert.deepEqual(reconcile([launched({ sleep: old })], [task('ada', 1)], NOW).actions, []);
    });

    it('leaves a crash-looping agent alone even when asked to sleep', () => {
      const crashLoop = { at: at(10), eventId: 'loop', correlationId: 'c' };
      assert.deepEqual(reconcile([launched({ crashLoop, sleep })], [task('ada', 1)], NOW).actions, []);
    });

    it('finishes the retirement of a sleeping agent without launching it', () => {
      const retired = { at: at(50), eventId: 'retire-1', correlationId: 'c' };
      const asleep = launched({ sleep, retired, asleep: { sleepEventId: 'sleep-1', at: at(21) } });
      assert.deepEqual(reconcile([asleep], [], NOW).actions, [
        { kind: 'finish-retirement', agentId: 'ada', afterStopping: [] },
      ]);
    });
  });

  it('never plans two tasks for an agent, nor leaves one running for an agent that must not run', () => {
    const agentIds = ['a1', 'a2', 'a3', 'a4'];
    const recordArb = fc.record({
      agentId: fc.constantFrom(...agentIds),
      hired: fc.option(fc.nat(50), { nil: undefined }),
      credentials: fc.option(fc.nat(60), { nil: undefined }),
      chat: fc.option(fc.nat(60), { nil: undefined }),
      retired: fc.option(fc.nat(60), { nil: undefined }),
      launched: fc.option(fc.nat(3), { nil: undefined }),
      sleep: fc.option(fc.nat(90), { nil: undefined }),
      wake: fc.option(fc.nat(90), { nil: undefined }),
    });
    const taskArb = fc.record({
      agent: fc.option(fc.constantFrom(...agentIds, 'ghost'), { nil: undefined }),
      n: fc.nat(4),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(recordArb, { selector: (r) => r.agentId }),
        fc.array(taskArb, { maxLength: 8 }),
        (raw, rawTasks) => {
          const records: AgentRecord[] = raw.map((r) => ({
            agentId: r.agentId,
            ...(r.hired === undefined ? {} : { hired: hire(r.agentId, r.hired, 'h') }),
            ...(r.credentials === undefined
              ? {}
              : { credentials: { at: at(r.credentials), secretArn: 'arn:aws:x:y:z:123456789012:s' } }),
            ...(r.chat === undefined ? {} : { chat: { at: at(r.chat), matrixUserId: '@a:b' } }),
            ...(r.retired === undefined
              ? {}
              : { retired: { at: at(r.retired), eventId: 'r', correlationId: 'r' } }),
            ...(r.launched === undefined
              ? {}
              : {
                  launch: {
                    at: at(61),
                    taskArn: `arn:task/${r.agentId}-${r.launched}`,
                    hireEventId: 'h',
                    reported: true,
                  },
                }),
            ...(r.sleep === undefined
              ? {}
              : { sleep: { at: at(r.sleep), eventId: 's', correlationId: 's', reason: 'idle' as const } }),
            ...(r.wake === undefined
              ? {}
              : {
                  wake: {
                    at: at(r.wake),
                    eventId: 'w',
                    correlationId: 'w',
                    reason: 'mention' as const,
                    seenAt: at(r.wake),
                  },
                }),
          }));
          const tasks = [
            ...new Map(rawTasks.map((t) => [`${t.agent}-${t.n}`, task(t.agent, t.n, t.n)])).values(),
          ];
          const plan = reconcile(records, tasks, NOW);
          const stopped = new Set(plan.actions.filter((a) => a.kind === 'stop').map((a) => a.taskArn));
          const left = tasks.filter((t) => !stopped.has(t.taskArn));
          const launches = plan.actions.filter((a) => a.kind === 'launch');
          for (const agentId of [...agentIds, 'ghost']) {
            const record = records.find((r) => r.agentId === agentId);
            const running = left.filter((t) => t.agentId === agentId).length;
            const launching = launches.filter((a) => a.agentId === agentId).length;
            assert.ok(
              running + launching <= 1,
              `${agentId}: ${running} left running, ${launching} launching`,
            );
            const retired =
              record?.retired !== undefined &&
              (record.hired === undefined || record.retired.at >= record.hired.at);
            if (record === undefined || retired)
              assert.equal(running + launching, 0, `${agentId} must not run`);
            // Asleep on purpose: no task left, none started.
            if (record !== undefined && sleepInForce(record) !== undefined)
              assert.equal(running + launching, 0, `${agentId} is asleep`);
          }
          assert.equal(left.filter((t) => t.agentId === undefined).length, 0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
