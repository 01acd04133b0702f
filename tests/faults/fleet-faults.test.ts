/**
 * The fault suite (issue 12), on the real local stack: the fleet command (`fleet up`, which
 * supervises every service) on the test run's moto and Synapse, with the stand-in agent as
 * local processes. Each test has a pass criterion on outcomes, never on time: it waits for the
 * fleet to settle (tests/support/signals.ts) and then checks what a person could check.
 *
 * The tests share one fleet, in this order: the SIGKILLs, the duplicates, and last the malformed
 * events, which fill the DLQs the first two must find empty. Random choices come from one seed,
 * printed as a diagnostic; OCF_FAULT_SEED=<seed> replays them. Ports: OCF_TEST_FLEET_PORT_BASE
 * + 20 and one more per service.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueUrlCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { parseEventMessage } from '@ocf/events';
import { SERVICE_NAMES } from '@ocf/routing';
import { DEAD_LETTER_ATTRIBUTES } from '@ocf/runtime';
import { awsClients, uniqueEnvironment } from '../support/aws.ts';
import { readDeadLettersAsTheyCome } from '../support/dead-letters.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { FLEET_SERVICES, startFleet, testFleetPortBase, type RunningFleet } from '../support/fleet.ts';
import { assertNothingLostNothingDoubled, untilSettled } from '../support/fleet-outcomes.ts';
import { listenOnBus, type BusEvent } from '../support/listener.ts';
import { fleetQuiet } from '../support/signals.ts';
import {
  fastResyncServiceEnv,
  faultSeed,
  hireBody,
  names,
  persistently,
  seededRandom,
  shuffle,
  sleep,
} from './support.ts';

describe('the fleet under faults', { timeout: 12 * 60_000 }, () => {
  const clients = awsClients();
  const secretsManager = new SecretsManagerClient({});
  const environment = uniqueEnvironment('faults');
  const seed = faultSeed();
  const random = seededRandom(seed);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low));
  let fleet: RunningFleet;
  let proxy: FaultProxy;

  before(async () => {
    // Every AWS call of every service goes through the fault proxy; it drops nothing until
    // the dropped-events test asks it to.
    proxy = await startFaultProxy({ target: process.env['AWS_ENDPOINT_URL'] ?? '' });
    fleet = await startFleet({
      environment,
      portBase: testFleetPortBase(20),
      // Stand-in agents: the suite counts their starts (workspace/starts), dozens at once.
      args: [
        '--agents',
        'stand-in',
        '--service-env',
        await fastResyncServiceEnv(environment, { AWS_ENDPOINT_URL: proxy.url }),
      ],
    });
  });

  after(async () => {
    // Undefined when `before` failed.
    const started = fleet as RunningFleet | undefined;
    if (started !== undefined) assert.equal(await started.stop(), 0, started.console.slice(-30).join('\n'));
    await (proxy as FaultProxy | undefined)?.close();
    secretsManager.destroy();
  });

  const hire = (name: string) =>
    persistently(`hire ${name}`, () => fleet.directory.hire(hireBody(name))).then((response) => {
      assert.equal(response.status, 202, `hire ${name}: ${response.status}`);
    });
  const retire = (agentId: string) =>
    persistently(`retire ${agentId}`, () => fleet.directory.retire(agentId)).then((response) => {
      assert.equal(response.status, 202, `retire ${agentId}: ${response.status}`);
    });

  it('SIGKILL of each service in turn during a burst of hires and retirements: nothing lost, nothing doubled', async (t) => {
    t.diagnostic(`seed ${seed}`);
    const people = names('Kill', 10);
    const retiring = new Set(
      shuffle(people, random)
        .slice(0, 4)
        .map((p) => p.agentId),
    );
    const startedAt = fleet.console.length;

    const burst = async () => {
      const retirements: Promise<void>[] = [];
      for (const person of people) {
        await sleep(between(0, 2_500));
        await hire(person.name);
        if (retiring.has(person.agentId))
          retirements.push(sleep(between(0, 4_000)).then(() => retire(person.agentId)));
      }
      await Promise.all(retirements);
    };
    const killEachInTurn = async () => {
      for (const service of shuffle(FLEET_SERVICES, random)) {
        await sleep(between(300, 3_000));
        const victim = (await fleet.services())[service];
        const from = fleet.console.length;
        process.kill(victim.pid, 'SIGKILL');
        await fleet.line(new RegExp(`^fleet: ${service} died at .*\\(signal SIGKILL\\)`), { from });
        await fleet.line(new RegExp(`^fleet: ${service} is back \\(pid \\d+`), { from, timeoutMs: 90_000 });
        t.diagnostic(`killed ${service} (pid ${victim.pid}); it is back`);
      }
    };
    const began = Date.now();
    await Promise.all([burst(), killEachInTurn()]);
    t.diagnostic(`burst and kills done in ${Math.round((Date.now() - began) / 1000)} s`);

    const expected = {
      running: people.filter((p) => !retiring.has(p.agentId)).map((p) => p.agentId),
      retired: [...retiring],
    };
    await untilSettled(fleet, expected);
    t.diagnostic(`settled in ${Math.round((Date.now() - began) / 1000)} s`);
    await assertNothingLostNothingDoubled(fleet, expected, { sqs: clients.sqs, secretsManager }, (line) => {
      t.diagnostic(line);
    });
    const gaveUp = fleet.console.slice(startedAt).filter((l) => /giving up/.test(l));
    assert.deepEqual(gaveUp, [], 'the supervisor never gave up on a service');
  });

  it('every message delivered two and three times, shuffled: one side effect each', async (t) => {
    t.diagnostic(`seed ${seed}`);
    const people = names('Dup', 6);
    const ours = new Set(people.map((p) => p.agentId));
    const retiring = new Set(people.slice(0, 2).map((p) => p.agentId));
    // Every fleet event about these agents, as it crosses the bus: an outside rule of our own.
    const tap = await listenOnBus(clients, fleet.routing.busName, { source: [{ prefix: 'ocf.' }] });
    const seen = new Set<string>();
    const copies: Promise<void>[] = [];
    let copiesSent = 0;
    const duplication = { on: true };
    /** Each event once more or twice more, each copy after its own random delay: shuffled. */
    const duplicate = (event: BusEvent) => {
      const entry: PutEventsRequestEntry = {
        EventBusName: fleet.routing.busName,
        Source: event.source,
        DetailType: event['detail-type'],
        Detail: JSON.stringify(event.detail),
      };
      const extra = random() < 0.5 ? 1 : 2;
      for (let i = 0; i < extra; i++) {
        copies.push(
          sleep(between(0, 4_000)).then(async () => {
            const result = await clients.eventBridge.send(new PutEventsCommand({ Entries: [entry] }));
            assert.equal(result.FailedEntryCount ?? 0, 0);
            copiesSent++;
          }),
        );
      }
    };
    const duplicator = (async () => {
      while (duplication.on) {
        const events = await tap.poll();
        for (const event of events) {
          const id = event.detail.metadata?.eventId;
          const agentId = event.detail.data['agentId'];
          if (id === undefined || seen.has(id) || typeof agentId !== 'string' || !ours.has(agentId)) continue;
          seen.add(id);
          duplicate(event);
        }
        events.length = 0;
      }
    })();

    const began = Date.now();
    const expected = {
      running: people.filter((p) => !retiring.has(p.agentId)).map((p) => p.agentId),
      retired: [...retiring],
    };
    try {
      await Promise.all(people.map((person) => hire(person.name)));
      await Promise.all(
        [...retiring].map(async (agentId) => {
          await fleet.directory.untilStatus(agentId, 'running', 180_000);
          await retire(agentId);
        }),
      );
      await untilSettled(fleet, expected);
      t.diagnostic(`settled in ${Math.round((Date.now() - began) / 1000)} s`);
    } finally {
      // Also when the test fails: a duplicator left polling would keep the test process alive.
      duplication.on = false;
      await duplicator;
    }
    await Promise.all(copies);
    t.diagnostic(`${seen.size} events about these agents, ${copiesSent} extra deliveries`);
    assert.ok(seen.size >= people.length * 5, `the whole cascade was duplicated (${seen.size} events)`);
    await assertNothingLostNothingDoubled(fleet, expected, { sqs: clients.sqs, secretsManager }, (line) => {
      t.diagnostic(line);
    });
  });

  it("a bus that loses 5 % of the cascade's events after accepting them: everything converges by the resyncs", async (t) => {
    const people = names('Drop', 8);
    const retiring = new Set(people.slice(0, 3).map((p) => p.agentId));
    // Lost without a trace: the publisher is told the entry was put, and no consumer ever
    // sees it. Only the events the cascades depend on count, so every loss leaves a hire or a
    // retirement stuck at a step until the directory's cascade resync (ADR 0024) repairs it.
    proxy.silent = true;
    proxy.dropTypes = new Set(CASCADE_EVENTS);
    proxy.dropEvery = 20;
    const droppedBefore = proxy.dropped.length;
    const logBefore = (await fleet.serviceLog('directory')).length;
    try {
      const began = Date.now();
      await Promise.all(people.map((person) => hire(person.name)));
      await Promise.all([...retiring].map((agentId) => retire(agentId)));
      const expected = {
        running: people.filter((p) => !retiring.has(p.agentId)).map((p) => p.agentId),
        retired: [...retiring],
      };
      await untilSettled(fleet, expected, { timeoutMs: 360_000 });
      t.diagnostic(`settled in ${Math.round((Date.now() - began) / 1000)} s`);
      proxy.dropEvery = 0;
      const dropped = proxy.dropped.slice(droppedBefore);
      t.diagnostic(
        `lost ${dropped.length}: ${dropped.map((d) => `${d.detailType}(${d.agentId ?? '-'})`).join(', ')}`,
      );
      assert.ok(dropped.length > 0, 'some events were lost');
      const resyncs = (await fleet.serviceLog('directory'))
        .slice(logBefore)
        .filter((l) => l.includes('announcing its request again'));
      t.diagnostic(`${resyncs.length} cascade resyncs by the directory`);
      await assertNothingLostNothingDoubled(fleet, expected, { sqs: clients.sqs, secretsManager }, (line) => {
        t.diagnostic(line);
      });
    } finally {
      proxy.dropEvery = 0;
      proxy.silent = false;
      proxy.dropTypes = undefined;
    }
  });

  it('1,000 generated malformed events among valid ones: no crash, each one dead-lettered with its reason or answered, the valid ones processed', async (t) => {
    t.diagnostic(`seed ${seed}`);
    const began = Date.now();
    const before = await fleet.services();
    const startedAt = fleet.console.length;
    const answers = await listenOnBus(clients, fleet.routing.busName, { 'detail-type': ['HireRejected'] });
    // Read as they come (and deleted), so no DLQ grows deep: moto's SQS slows down with depth.
    const readers = new Map(
      SERVICE_NAMES.map((service) => [
        service,
        readDeadLettersAsTheyCome(clients.sqs, fleet.routing.queues[service].deadLetterQueueName),
      ]),
    );

    // 250 requests an outside system could send on the bus, each invalid in its own way (they
    // reach the directory), and 750 bodies no EventBridge rule would deliver, put straight on the
    // services' queues: 1,000 malformed events in all.
    const busRequests = fc.sample(malformedRequest(), { numRuns: 250, seed });
    const rawBodies = fc.sample(malformedBody(), { numRuns: 750, seed });
    // Valid requests the org rules refuse (an unknown manager): HireRejected, and no DLQ.
    const refused = Array.from({ length: 10 }, (_, i) => ({
      type: 'AgentHired' as const,
      detail: { data: { ...validHire(`refused-${i}`), managerId: `nobody-${i}` } },
    }));
    const valid = names('Valid', 4).map((p) => ({
      type: 'AgentHired' as const,
      detail: { data: { ...validHire(p.agentId), name: p.name } },
      agentId: p.agentId,
    }));

    const mixed = shuffle(
      [
        ...busRequests.map((r) => ({ ...r, kind: 'malformed' as const })),
        ...refused.map((r) => ({ ...r, kind: 'refused' as const })),
        ...valid.map((r) => ({ ...r, kind: 'valid' as const })),
      ],
      random,
    );
    const idsOf = { malformed: new Set<string>(), refused: new Set<string>(), valid: new Set<string>() };
    const rawByService = new Map(SERVICE_NAMES.map((s) => [s, [] as string[]]));
    rawBodies.forEach((body, i) =>
      rawByService.get(SERVICE_NAMES[i % SERVICE_NAMES.length] ?? 'directory')?.push(body),
    );
    const queueUrls = new Map(
      await Promise.all(
        SERVICE_NAMES.map(async (service) => {
          const { QueueUrl } = await clients.sqs.send(
            new GetQueueUrlCommand({ QueueName: fleet.routing.queues[service].name }),
          );
          return [service, QueueUrl ?? ''] as const;
        }),
      ),
    );
    // In rounds, bus and queues interleaved: 10 requests on the bus, 30 bodies on the queues.
    const raw = [...rawByService].flatMap(([service, bodies]) => bodies.map((body) => ({ service, body })));
    const shuffledRaw = shuffle(raw, random);
    for (let round = 0; round * 10 < mixed.length || round * 30 < shuffledRaw.length; round++) {
      const batch = mixed.slice(round * 10, round * 10 + 10);
      if (batch.length > 0) {
        const result = await clients.eventBridge.send(
          new PutEventsCommand({
            Entries: batch.map((r) => ({
              EventBusName: fleet.routing.busName,
              Source: 'hr.example',
              DetailType: r.type,
              Detail: JSON.stringify(r.detail),
            })),
          }),
        );
        assert.equal(result.FailedEntryCount ?? 0, 0, JSON.stringify(result.Entries));
        batch.forEach((r, j) => {
          const id = result.Entries?.[j]?.EventId;
          assert.ok(id !== undefined);
          idsOf[r.kind].add(id);
        });
      }
      for (const service of SERVICE_NAMES) {
        const bodies = shuffledRaw
          .slice(round * 30, round * 30 + 30)
          .filter((r) => r.service === service)
          .map((r) => r.body);
        for (let i = 0; i < bodies.length; i += 10) {
          const result = await clients.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrls.get(service),
              Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody })),
            }),
          );
          assert.equal(result.Failed?.length ?? 0, 0, JSON.stringify(result.Failed));
        }
      }
    }
    t.diagnostic(
      `${busRequests.length} malformed on the bus, ${rawBodies.length} raw on the queues (${Math.round((Date.now() - began) / 1000)} s)`,
    );

    // Processed: the valid hires run; their cascade crossed every service during the storm.
    await untilSettled(fleet, { running: valid.map((v) => v.agentId), retired: [] });
    await fleetQuiet(clients.sqs, fleet.routing, FLEET_SERVICES, { timeoutMs: 300_000 });
    const letters = new Map(
      await Promise.all(
        [...readers].map(async ([service, reader]) => [service, await reader.stop()] as const),
      ),
    );
    t.diagnostic(`settled and read (${Math.round((Date.now() - began) / 1000)} s)`);

    // No crash: the same processes, and not one death on the console.
    assert.deepEqual(
      Object.fromEntries(Object.entries(await fleet.services()).map(([s, r]) => [s, r.pid])),
      Object.fromEntries(Object.entries(before).map(([s, r]) => [s, r.pid])),
    );
    assert.deepEqual(
      fleet.console.slice(startedAt).filter((l) => / died at /.test(l)),
      [],
    );

    const problems: string[] = [];
    const repeats: string[] = [];
    for (const service of SERVICE_NAMES) {
      const own = letters.get(service) ?? [];
      for (const letter of own) {
        if ((letter.attributes[DEAD_LETTER_ATTRIBUTES.reason] ?? '') === '')
          problems.push(`${service}: a letter without a reason: ${letter.body.slice(0, 200)}`);
      }
      // Every raw body in its own service's DLQ, with a reason.
      const bodies = rawByService.get(service) ?? [];
      const lettered = new Map<string, number>();
      for (const letter of own) lettered.set(letter.body, (lettered.get(letter.body) ?? 0) + 1);
      for (const body of bodies) {
        const left = lettered.get(body) ?? 0;
        if (left === 0) problems.push(`${service}: raw body not dead-lettered: ${body.slice(0, 100)}`);
        else lettered.set(body, left - 1);
      }
      // SQS delivers at least once: a raw body whose delete did not land before its visibility
      // ran out (moto is saturated here) is received and dead-lettered again. A second letter of
      // a body this service was sent is that, not a stray; anything else still is one.
      const sent = new Set(bodies);
      for (const [body, n] of lettered) {
        if (n > 0 && sent.has(body)) {
          repeats.push(`${service}: ${body.slice(0, 100)} (${n} more)`);
          lettered.set(body, 0);
          continue;
        }
        // The same for a malformed request on the bus: its envelope (and so its body) is unique.
        const id = envelopeId(body);
        if (n > 1 && id !== undefined && idsOf.malformed.has(id)) {
          repeats.push(`${service}: request ${id} (${n - 1} more)`);
          lettered.set(body, 1);
        }
      }
      // And nothing else, but the directory's malformed requests.
      const rest = [...lettered].flatMap(([body, n]) => Array.from({ length: n }, () => body));
      if (service !== 'directory' && rest.length > 0)
        problems.push(`${service}: ${rest.length} unexpected letters, e.g. ${rest[0]?.slice(0, 200)}`);
      if (service === 'directory') {
        const ids = rest.map(envelopeId);
        const letteredIds = new Set(ids.filter((id): id is string => id !== undefined));
        for (const id of idsOf.malformed)
          if (!letteredIds.has(id)) problems.push(`malformed request ${id}: not in the DLQ`);
        for (const id of [...idsOf.valid, ...idsOf.refused])
          if (letteredIds.has(id)) problems.push(`${id}: a valid request was dead-lettered`);
        if (rest.length !== idsOf.malformed.size)
          problems.push(`directory: ${rest.length} letters for ${idsOf.malformed.size} malformed requests`);
      }
    }

    // Every refused request answered with HireRejected naming it.
    const rejected = new Set((await answers.drain()).map((e) => String(e.detail.data['requestEventId'])));
    for (const id of idsOf.refused) if (!rejected.has(id)) problems.push(`refused ${id}: no HireRejected`);
    if (repeats.length > 0) t.diagnostic(`dead-lettered more than once: ${repeats.join('; ')}`);
    t.diagnostic(
      `letters by service: ${JSON.stringify(Object.fromEntries([...letters].map(([s, l]) => [s, l.length])))}; ${rejected.size} HireRejected`,
    );
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
  });
});

/** The events a hire or a retirement moves on by: each one lost leaves its cascade at a step. */
const CASCADE_EVENTS = [
  'AgentHired',
  'CredentialsIssued',
  'ChatAccountReady',
  'AgentLaunching',
  'AgentRunning',
  'AgentRetired',
  'AgentStopped',
  'CredentialsRevoked',
  'ChatAccountDeactivated',
  'MemoryArchived',
];

function envelopeId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function validHire(agentId: string): Record<string, unknown> {
  return {
    agentId,
    name: 'Some One',
    title: 'Engineer',
    level: 'ic',
    department: 'Engineering',
    managerId: 'ceo',
  };
}

/** Whether the consumer's own parser refuses this request (the generator keeps only those). */
function refusedByTheCatalogue(type: string, detail: unknown): boolean {
  const body = JSON.stringify({
    version: '0',
    id: 'probe',
    'detail-type': type,
    source: 'hr.example',
    time: new Date().toISOString(),
    detail,
  });
  return !parseEventMessage(body).ok;
}

/**
 * An outside AgentHired or AgentRetired that is wrong in one way or another: a field of the wrong
 * type or missing, a bad agent id, control characters, no data at all, data that is not an
 * object, bad metadata, an unsupported version. Only those the catalogue refuses are kept.
 */
function malformedRequest(): fc.Arbitrary<{
  type: 'AgentHired' | 'AgentRetired';
  detail: Record<string, unknown>;
}> {
  const base = fc.integer({ min: 0, max: 1e9 }).map((n) => validHire(`m-${n}`));
  const hireField = fc.constantFrom(
    'agentId',
    'name',
    'title',
    'level',
    'department',
    'managerId',
    'team',
    'skills',
  );
  const hireData = fc.oneof(
    fc.tuple(base, hireField, fc.anything()).map(([data, field, value]) => ({ ...data, [field]: value })),
    fc.tuple(base, hireField).map(([data, field]) => {
      const { [field]: _dropped, ...rest } = data;
      return rest;
    }),
    fc
      .tuple(base, fc.string({ minLength: 1, maxLength: 30 }))
      .map(([data, id]) => ({ ...data, agentId: `Not A Slug ${id}` })),
    fc
      .tuple(base, fc.constantFrom('\u0000', '\u0007', '\u001b[31m', '\u009b', '\u007f'))
      .map(([data, c]) => ({ ...data, name: `Eve${c}il` })),
    fc.tuple(base, fc.constantFrom('intern', 'VP', '', 'ceo')).map(([data, level]) => ({ ...data, level })),
  );
  const retireData = fc.oneof(
    fc.record({ agentId: fc.anything() }),
    fc.record({ agentId: fc.constantFrom('Bad Id', '', 'x'.repeat(300)) }),
    fc.record({
      agentId: fc.constant('m-retire'),
      reason: fc.oneof(fc.integer(), fc.constant('a\u0000b'), fc.constant('r'.repeat(5000))),
    }),
  );
  const detail = (data: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 6, arbitrary: data.map((d) => ({ data: d })) },
      { weight: 1, arbitrary: fc.anything().map((d) => ({ data: d })) },
      {
        weight: 1,
        arbitrary: fc.dictionary(
          fc.string({ maxLength: 8 }).filter((k) => k !== 'data'),
          fc.jsonValue(),
          { maxKeys: 3 },
        ),
      },
      { weight: 1, arbitrary: fc.tuple(data, fc.anything()).map(([d, m]) => ({ data: d, metadata: m })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(data, fc.integer({ min: 2, max: 99 }))
          .map(([d, version]) => ({ data: d, metadata: { version } })),
      },
    );
  return fc
    .oneof(
      detail(hireData).map((d) => ({ type: 'AgentHired' as const, detail: d })),
      detail(retireData).map((d) => ({ type: 'AgentRetired' as const, detail: d })),
    )
    .map((r) => ({ ...r, detail: JSON.parse(JSON.stringify(r.detail)) as Record<string, unknown> }))
    .filter((r) => refusedByTheCatalogue(r.type, r.detail));
}

/** A queue message no EventBridge rule would deliver: not JSON, JSON but no event, an unknown type. */
function malformedBody(): fc.Arbitrary<string> {
  const printable = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 200 });
  return fc
    .oneof(
      printable,
      fc.json({ maxDepth: 3 }),
      fc
        .tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }))
        .map(([type, detail]) =>
          JSON.stringify({
            version: '0',
            id: 'raw',
            'detail-type': `Unknown${type}`,
            source: 'raw.example',
            time: '2026-01-01T00:00:00Z',
            detail,
          }),
        ),
      fc.jsonValue({ maxDepth: 2 }).map((detail) =>
        JSON.stringify({
          version: '0',
          id: 'raw',
          'detail-type': 'AgentHired',
          source: 'ocf.directory',
          time: '2026-01-01T00:00:00Z',
          detail: { data: detail },
        }),
      ),
    )
    .filter((body) => body.trim().length > 0 && !parseEventMessage(body).ok);
}
