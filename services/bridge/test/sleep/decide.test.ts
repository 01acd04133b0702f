import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  budgetSpent,
  decide,
  phaseOf,
  UNANSWERED_GRACE_MS,
  type ActivityRecord,
  type SleepSettings,
} from '../../src/sleep/decide.ts';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();
const settings = (awakeCap = 0): SleepSettings => ({
  idleTimeoutSeconds: 60,
  onDemandLevels: new Set(['ic', 'manager']),
  awakeCap,
});
/** An on-demand agent hired at t=0 and awake since `awakeAt`, last addressed at `addressed`. */
const agent = (agentId: string, extra: Partial<ActivityRecord> = {}): ActivityRecord => ({
  agentId,
  level: 'ic',
  hiredAt: at(0),
  state: { value: 'awake', at: at(1) },
  ...extra,
});
const wakeAt = (seconds: number) => ({
  reason: 'mention' as const,
  roomId: '!r',
  eventId: `$${seconds}`,
  seenAt: at(seconds),
});

describe('sleep decisions (ADR 0018)', () => {
  it('puts an on-demand agent to sleep after its idle timeout, not before', () => {
    const ada = agent('ada', { lastAddressedAt: at(10), lastSpokeAt: at(10) });
    assert.deepEqual(decide([ada], settings(), new Date(T0 + 69_000)).sleeps, []);
    assert.equal(decide([ada], settings(), new Date(T0 + 69_000)).nextCheckAt, at(70));
    assert.deepEqual(decide([ada], settings(), new Date(T0 + 70_000)).sleeps, [
      { agentId: 'ada', reason: 'idle', lastActiveAt: at(10) },
    ]);
  });

  it('keeps an agent awake while a message to it is unanswered, for a bounded grace', () => {
    // Woken by a message at 10, running at 20, not answered yet: a 60 s timeout does not sleep it.
    const woken = agent('ada', { lastAddressedAt: at(10), state: { value: 'awake', at: at(20) } });
    assert.deepEqual(decide([woken], settings(), new Date(T0 + 200_000)).sleeps, []);
    const graceEnds = T0 + 10_000 + UNANSWERED_GRACE_MS;
    assert.equal(
      decide([woken], settings(), new Date(T0 + 200_000)).nextCheckAt,
      new Date(graceEnds).toISOString(),
    );
    assert.equal(decide([woken], settings(), new Date(graceEnds)).sleeps.length, 1, 'not forever');
    // Once it answered, its idle timeout counts from the answer.
    const answered = { ...woken, lastSpokeAt: at(100) };
    assert.deepEqual(decide([answered], settings(), new Date(T0 + 159_000)).sleeps, []);
    assert.equal(decide([answered], settings(), new Date(T0 + 160_000)).sleeps.length, 1);
  });

  it('counts the idle timeout from when a new agent runs, not from its hire', () => {
    const starting = agent('ada', { state: undefined });
    assert.deepEqual(decide([starting], settings(), new Date(T0 + 3600_000)).sleeps, []);
    const waking = agent('ada', { state: { value: 'starting', at: at(10) } });
    assert.deepEqual(decide([waking], settings(), new Date(T0 + 3600_000)).sleeps, []);
    const running = agent('ada', { state: { value: 'awake', at: at(100) } });
    assert.deepEqual(decide([running], settings(), new Date(T0 + 159_000)).sleeps, []);
    assert.equal(decide([running], settings(), new Date(T0 + 160_000)).sleeps.length, 1);
  });

  it('keeps always-on agents (by level or by their own policy) and honours per-agent timeouts', () => {
    const now = new Date(T0 + 3600_000);
    const exec = agent('exe', { level: 'executive' });
    const mine = agent('own', { wakePolicy: 'always-on' });
    const patient = agent('pat', { idleTimeoutSeconds: 7200 });
    const eager = agent('eag', { level: 'executive', wakePolicy: 'on-demand' });
    assert.deepEqual(
      decide([exec, mine, patient, eager], settings(), now).sleeps.map((s) => s.agentId),
      ['eag'],
    );
  });

  it('wakes a sleeping agent that was addressed, and not one that is awake or retired', () => {
    const asleep = agent('ada', { state: { value: 'asleep', at: at(100) }, pendingWake: wakeAt(200) });
    const awake = agent('bob', { pendingWake: wakeAt(200), lastAddressedAt: at(200) });
    const gone = agent('cy', {
      state: { value: 'asleep', at: at(100) },
      retiredAt: at(150),
      pendingWake: wakeAt(200),
    });
    const decisions = decide([asleep, awake, gone], settings(), new Date(T0 + 201_000));
    assert.deepEqual(decisions.wakes, [{ agentId: 'ada', wake: wakeAt(200) }]);
  });

  it('holds the wake of an agent whose model budget is spent until it is changed or the month turns', () => {
    const spent = agent('ada', {
      state: { value: 'asleep', at: at(100) },
      pendingWake: wakeAt(200),
      budgetSpentAt: at(50),
    });
    assert.equal(budgetSpent(spent, new Date(T0 + 201_000)), true);
    assert.deepEqual(decide([spent], settings(), new Date(T0 + 201_000)).wakes, [], 'held, not woken');
    const raised = { ...spent, budgetChangedAt: at(300) };
    assert.deepEqual(decide([raised], settings(), new Date(T0 + 301_000)).wakes, [
      { agentId: 'ada', wake: wakeAt(200) },
    ]);
    const nextMonth = new Date(Date.parse('2027-01-01T00:00:01.000Z'));
    assert.deepEqual(decide([spent], settings(), nextMonth).wakes, [{ agentId: 'ada', wake: wakeAt(200) }]);
  });

  it('puts an awake on-demand agent to sleep at once when its budget is spent, not an always-on one', () => {
    const now = new Date(T0 + 21_000);
    const ada = agent('ada', { lastAddressedAt: at(15), budgetSpentAt: at(20) });
    const boss = agent('boss', { level: 'executive', budgetSpentAt: at(20) });
    assert.deepEqual(decide([ada, boss], settings(), now).sleeps, [
      { agentId: 'ada', reason: 'idle', lastActiveAt: at(15) },
    ]);
    // Woken since (an operator's wake): its idle timeout rules again.
    const woken = agent('ada', {
      lastAddressedAt: at(15),
      budgetSpentAt: at(20),
      state: { value: 'awake', at: at(30) },
    });
    assert.deepEqual(decide([woken], settings(), new Date(T0 + 31_000)).sleeps, []);
  });

  it('wakes at once an agent whose sleep was asked for but not carried out', () => {
    const sleeping = agent('ada', { sleepRequestedAt: at(100), pendingWake: wakeAt(101) });
    assert.equal(phaseOf(sleeping), 'sleeping');
    assert.deepEqual(decide([sleeping], settings(1), new Date(T0 + 102_000)).wakes, [
      { agentId: 'ada', wake: wakeAt(101) },
    ]);
  });

  it('under a full cap, evicts the least recently active on-demand agent and keeps the wake waiting', () => {
    const now = new Date(T0 + 30_000);
    const older = agent('old', { lastAddressedAt: at(5) });
    const newer = agent('new', { lastAddressedAt: at(20) });
    const boss = agent('boss', { level: 'executive' });
    const asleep = agent('zed', { state: { value: 'asleep', at: at(2) }, pendingWake: wakeAt(25) });
    const full = decide([older, newer, boss, asleep], settings(3), now);
    assert.deepEqual(full.wakes, []);
    assert.deepEqual(full.sleeps, [{ agentId: 'old', reason: 'evicted', lastActiveAt: at(5) }]);
    // The next pass, with that sleep on its way: no second eviction, still waiting.
    const evicting = { ...older, sleepRequestedAt: at(30) };
    const waiting = decide([evicting, newer, boss, asleep], settings(3), new Date(T0 + 31_000));
    assert.deepEqual(waiting.sleeps, []);
    assert.deepEqual(waiting.wakes, []);
    // Carried out: the wake goes.
    const done = { ...evicting, state: { value: 'asleep' as const, at: at(32) } };
    assert.deepEqual(decide([done, newer, boss, asleep], settings(3), new Date(T0 + 33_000)).wakes, [
      { agentId: 'zed', wake: wakeAt(25) },
    ]);
  });

  it('never evicts always-on agents: a wake that finds only them waits', () => {
    const bosses = [agent('b1', { level: 'executive' }), agent('b2', { level: 'executive' })];
    const asleep = agent('zed', { state: { value: 'asleep', at: at(2) }, pendingWake: wakeAt(25) });
    const decisions = decide([...bosses, asleep], settings(2), new Date(T0 + 30_000));
    assert.deepEqual(decisions, { sleeps: [], wakes: [] });
  });

  it('brings a fleet over its cap (a burst of hires) down to it, least recently active first', () => {
    const agents = ['a', 'b', 'c', 'd'].map((id, i) => agent(id, { lastAddressedAt: at(10 + i) }));
    const decisions = decide(agents, settings(2), new Date(T0 + 20_000));
    assert.deepEqual(
      decisions.sleeps.map((s) => [s.agentId, s.reason]),
      [
        ['a', 'evicted'],
        ['b', 'evicted'],
      ],
    );
  });

  it('never has more agents awake or waking than the cap once its requests are carried out', () => {
    const recordArb = fc.record({
      level: fc.constantFrom('executive' as const, 'ic' as const),
      asleep: fc.boolean(),
      addressed: fc.nat(100),
      waiting: fc.option(fc.nat(100), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 10 }), fc.integer({ min: 1, max: 4 }), (raw, cap) => {
        const records = raw.map((r, i) =>
          agent(`a${i}`, {
            level: r.level,
            state: { value: r.asleep ? 'asleep' : 'awake', at: at(1) },
            lastAddressedAt: at(r.addressed),
            ...(r.waiting === undefined ? {} : { pendingWake: wakeAt(r.waiting) }),
          }),
        );
        const { sleeps, wakes } = decide(records, settings(cap), new Date(T0 + 101_000));
        const slept = new Set(sleeps.map((s) => s.agentId));
        const woken = new Set(wakes.map((w) => w.agentId));
        const awakeAfter = records.filter(
          (r) => (r.state?.value === 'awake' && !slept.has(r.agentId)) || woken.has(r.agentId),
        );
        const alwaysOn = records.filter((r) => r.level === 'executive' && r.state?.value === 'awake').length;
        // Always-on agents may hold more than the cap by themselves; nothing else may add to that.
        assert.ok(
          awakeAfter.length <= Math.max(cap, alwaysOn),
          `${awakeAfter.length} awake after the requests with a cap of ${cap}`,
        );
        for (const s of sleeps)
          assert.notEqual(records.find((r) => r.agentId === s.agentId)?.level, 'executive');
        // Every waiting wake is served now or has a sleep on its way for it (or only always-on agents hold the room).
        const waitingLeft = records.filter(
          (r) => r.pendingWake !== undefined && r.state?.value === 'asleep' && !woken.has(r.agentId),
        ).length;
        const evictions =
          sleeps.filter((s) => s.reason === 'evicted').length +
          sleeps.filter((s) => s.reason === 'idle').length;
        const evictable = records.filter((r) => r.level === 'ic' && r.state?.value === 'awake').length;
        assert.ok(evictions >= Math.min(waitingLeft, evictable), 'each waiting wake has room on its way');
      }),
      { numRuns: 500 },
    );
  });
});
