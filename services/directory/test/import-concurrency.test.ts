import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryLogger } from '@ocf/logging';
import { validateOrgFile, type ValidOrg } from '@ocf/org-file';
import { createMemoryPublisher } from '@ocf/runtime';
import { createMemoryAgentStore } from '../src/adapters/memory-agent-store.ts';
import { createDirectory } from '../src/directory.ts';
import { runManagersFirst, type ManagersFirstOutcome } from '../src/domain/import-order.ts';
import type { HireRequest } from '../src/domain/agent.ts';
import type { AgentStore } from '../src/ports.ts';
import { sampleCompany, sampleOrgFile } from '../src/sample/sample-company.ts';

/** Lets every other pending promise and I/O callback run first, as a round trip to a store would. */
const aRoundTrip = () => new Promise<void>((resolve) => setImmediate(resolve));

const charSum = (text: string) => Array.from(text, (char) => char.charCodeAt(0)).reduce((a, b) => a + b, 0);

/**
 * The in-memory store, a round trip or more slower per call, noting when each agent's hire started (the
 * first read of its own record) and finished (its record written with nothing left to publish),
 * and how many hires were between the two at once.
 */
function observedStore(agents: readonly { agentId: string; managerId: string }[]) {
  const hiring = new Set(agents.map((a) => a.agentId));
  const managers = new Set(agents.map((a) => a.managerId));
  const inner = createMemoryAgentStore();
  const timeline: string[] = [];
  const started = new Set<string>();
  const inFlight = new Set<string>();
  const seen = { maxInFlight: 0 };
  const store: AgentStore = {
    ...inner,
    async get(agentId) {
      await aRoundTrip();
      if (hiring.has(agentId) && !started.has(agentId)) {
        started.add(agentId);
        inFlight.add(agentId);
        seen.maxInFlight = Math.max(seen.maxInFlight, inFlight.size);
        timeline.push(`start ${agentId}`);
      }
      return inner.get(agentId);
    },
    async write(next) {
      // Managers' writes take much longer than others', so a report whose hire did not wait for
      // its manager's would be seen starting early.
      const trips = managers.has(next.agentId) ? 30 : 1 + (charSum(next.agentId) % 5);
      for (let trip = 0; trip < trips; trip++) await aRoundTrip();
      const outcome = await inner.write(next);
      if (outcome === 'written' && next.outbox.length === 0 && inFlight.delete(next.agentId)) {
        timeline.push(`done ${next.agentId}`);
      }
      return outcome;
    },
  };
  /** Every agent whose manager is in `hiring` started only after that manager's hire was done. */
  const assertManagersFinishedFirst = () => {
    for (const { agentId, managerId } of agents) {
      if (!hiring.has(managerId)) continue;
      const managerDone = timeline.indexOf(`done ${managerId}`);
      const reportStarted = timeline.indexOf(`start ${agentId}`);
      assert.ok(managerDone >= 0, `${managerId} was never hired`);
      assert.ok(reportStarted > managerDone, `${agentId} started before its manager ${managerId} was hired`);
    }
  };
  return { store, inner, timeline, seen, assertManagersFinishedFirst };
}

function directoryOver(store: AgentStore, importConcurrency: number) {
  return createDirectory({
    store,
    publisher: createMemoryPublisher(),
    logger: createMemoryLogger(),
    importConcurrency,
  });
}

const company = (size: number): HireRequest[] =>
  sampleCompany({ seed: 7, size }).map(({ manager, ...agent }) => ({ ...agent, managerId: manager }));

const position = (agentId: string, managerId: string, level: HireRequest['level']): HireRequest => ({
  agentId,
  name: agentId,
  title: level,
  level,
  department: 'Engineering',
  managerId,
});

describe('org import, a few hires at a time', () => {
  it('hires 120 agents with at most the configured number in flight, each after its manager', async () => {
    const requests = company(120);
    const observed = observedStore(requests);
    const directory = directoryOver(observed.store, 5);

    const result = await directory.importOrg(requests);

    assert.deepEqual(result, { hired: 120, unchanged: 0, refused: [] });
    observed.assertManagersFinishedFirst();
    // At the bound, not under it: the sample company is wide enough to fill it, so hires overlap.
    assert.equal(observed.seen.maxInFlight, 5);
  });

  it('the same import again changes nothing', async () => {
    const requests = company(60);
    const observed = observedStore(requests);
    const directory = directoryOver(observed.store, 8);
    await directory.importOrg(requests);
    const before = structuredClone([...observed.inner.agents.values()]);

    const again = await directory.importOrg(requests);

    assert.deepEqual(again, { hired: 0, unchanged: 60, refused: [] });
    assert.deepEqual([...observed.inner.agents.values()], before);
  });

  it('refuses the reports of a refused manager, and theirs, with the reason, without trying them', async () => {
    const requests = [
      position('vp-a', 'ceo', 'vp'),
      // A manager cannot have a director report to it: refused by the org rules.
      position('dir-b', 'vp-a', 'director'),
      position('mgr-c', 'dir-b', 'manager'),
      position('ic-d', 'mgr-c', 'ic'),
      position('ic-e', 'vp-a', 'ic'),
      position('bad-x', 'vp-a', 'executive'),
      position('ic-y', 'bad-x', 'ic'),
    ];
    const observed = observedStore(requests);
    const directory = directoryOver(observed.store, 3);

    const result = await directory.importOrg(requests);

    assert.equal(result.hired, 5);
    assert.equal(result.unchanged, 0);
    const refused = new Map(result.refused.map((r) => [r.agentId, r.reason]));
    assert.deepEqual([...refused.keys()].sort(), ['bad-x', 'ic-y']);
    assert.match(refused.get('bad-x') ?? '', /a executive cannot report to a vp/);
    assert.match(
      refused.get('ic-y') ?? '',
      /^not hired because its manager "bad-x" was refused: a executive/,
    );
    assert.equal(observed.inner.agents.has('ic-y'), false);
    assert.equal(observed.timeline.includes('start ic-y'), false, 'ic-y was tried');
  });

  it('lists the refusals in the order of the file, whatever order they were found in', async () => {
    const requests = [
      // Before its manager in the file, refused after it (a report waits for its manager).
      position('ic-y', 'bad-x', 'ic'),
      position('vp-a', 'ceo', 'vp'),
      position('bad-x', 'vp-a', 'executive'),
      position('dir-b', 'vp-a', 'director'),
      // Refused before anything is tried: its manager is nowhere.
      position('lost-z', 'nobody', 'ic'),
    ];
    const observed = observedStore(requests);
    const directory = directoryOver(observed.store, 2);

    const result = await directory.importOrg(requests);

    assert.deepEqual(
      result.refused.map((r) => r.agentId),
      ['ic-y', 'bad-x', 'lost-z'],
    );
  });

  it('refuses a whole chain under a manager whose id is taken by someone else', async () => {
    const requests = [
      position('lead', 'ceo', 'director'),
      position('mid', 'lead', 'manager'),
      position('leaf', 'mid', 'ic'),
    ];
    const observed = observedStore(requests);
    const directory = directoryOver(observed.store, 4);
    await directory.hire(position('lead', 'ceo', 'vp'));

    const result = await directory.importOrg(requests);

    assert.equal(result.hired, 0);
    const refused = new Map(result.refused.map((r) => [r.agentId, r.reason]));
    assert.match(refused.get('lead') ?? '', /already taken/);
    assert.match(refused.get('mid') ?? '', /its manager "lead" was refused: agent id/);
    assert.match(
      refused.get('leaf') ?? '',
      /its manager "mid" was not placed, because "lead" above it was refused/,
    );
  });

  it('throws what is not a refusal, once nothing it started is still running', async () => {
    const requests = company(40);
    const observed = observedStore(requests);
    const broken = requests[12]?.agentId;
    let callsRunning = 0;
    const counted =
      <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        callsRunning++;
        try {
          return await call(...args);
        } finally {
          callsRunning--;
        }
      };
    const failing: AgentStore = {
      ...observed.store,
      get: counted(async (agentId: string) => {
        if (agentId === broken) throw new Error('the store is down');
        return observed.store.get(agentId);
      }),
      write: counted(observed.store.write),
    };
    const directory = directoryOver(failing, 4);

    await assert.rejects(directory.importOrg(requests), /the store is down/);
    assert.equal(callsRunning, 0, 'a hire was still at the store after the import threw');
    assert.ok(observed.inner.agents.size < requests.length, 'nothing new started after the failure');
  });

  it('starts a report only once its slow manager is hired, while others go ahead', async () => {
    const requests = [
      position('boss', 'ceo', 'director'),
      ...['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((id) => position(id, 'ceo', 'ic')),
      position('worker', 'boss', 'ic'),
    ];
    const observed = observedStore(requests);
    const directory = directoryOver(observed.store, 3);

    const result = await directory.importOrg(requests);

    assert.deepEqual(result, { hired: 8, unchanged: 0, refused: [] });
    observed.assertManagersFinishedFirst();
    // The peers overtook the slow manager: the hires did overlap.
    assert.ok(
      observed.timeline.indexOf('done p6') < observed.timeline.indexOf('done boss'),
      observed.timeline.join(', '),
    );
  });
});

describe('org apply, hires a few at a time', () => {
  it('applies a 100-agent org file within the bound, managers first, and again is a no-op', async () => {
    const file = validateOrgFile(sampleOrgFile({ seed: 5, size: 100 }));
    assert.ok(file.ok);
    const org: ValidOrg = file.org;
    const observed = observedStore(org.people);
    const directory = directoryOver(observed.store, 6);

    const result = await directory.applyOrg(org, { prune: false });

    assert.deepEqual(result.applied, { hire: 100, update: 0, retire: 0 });
    assert.deepEqual(result.notApplied, []);
    observed.assertManagersFinishedFirst();
    assert.equal(observed.seen.maxInFlight, 6);
    const again = await directory.applyOrg(org, { prune: true });
    assert.deepEqual(again.applied, { hire: 0, update: 0, retire: 0 });
  });
});

describe('runManagersFirst', () => {
  const entry = (agentId: string, managerId: string) => ({ agentId, managerId });

  it('settles a loop within the batch as blocked, never running it', async () => {
    const ran: string[] = [];
    const outcomes = new Map<string, ManagersFirstOutcome>();
    await runManagersFirst(
      [entry('a', 'ceo'), entry('b', 'c'), entry('c', 'b')],
      2,
      ({ agentId }) => {
        ran.push(agentId);
        return Promise.resolve(true);
      },
      ({ agentId }, outcome) => outcomes.set(agentId, outcome),
    );
    assert.deepEqual(ran, ['a']);
    assert.deepEqual(outcomes.get('b'), { ran: false, blockedBy: 'c' });
    assert.deepEqual(outcomes.get('c'), { ran: false, blockedBy: 'b' });
  });

  it('refuses a limit that is not a positive integer', async () => {
    await assert.rejects(
      runManagersFirst([], 0, () => Promise.resolve(true)),
      RangeError,
    );
  });
});
