import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPacedSweep } from '../src/paced-sweep.ts';

/** A table of numbered items read in pages (the cursor is the next index), counting its reads. */
function fakeTable(size: number) {
  const items = Array.from({ length: size }, (_, i) => i);
  const reads: number[] = [];
  return {
    items,
    reads,
    readPage: (cursor: number | undefined, limit: number) => {
      const from = cursor ?? 0;
      const page = items.slice(from, from + limit);
      reads.push(page.length);
      const next = from + limit < items.length ? from + limit : undefined;
      return Promise.resolve({ items: page, next });
    },
  };
}

describe('paced sweep', () => {
  it('reads one page per step, spreading a cycle evenly over its interval', async () => {
    const clock = { now: 0 };
    const table = fakeTable(1_000);
    const sweep = createPacedSweep({
      readPage: table.readPage,
      intervalMs: 600_000,
      pageSize: 100,
      now: () => clock.now,
    });
    assert.equal((await sweep.readAll()).length, 1_000, 'the first load reads everything');
    assert.equal(sweep.pagesPerCycle, 10);
    table.reads.length = 0;

    assert.equal(await sweep.step(), undefined, 'nothing is due right after a whole cycle');
    assert.equal(sweep.dueInMs(), 600_000);
    const seen = new Set<number>();
    let cycles = 0;
    // Walk the clock a minute at a time over two intervals: one page a minute, each of ≤100 items.
    for (let minute = 1; minute <= 20; minute++) {
      clock.now = minute * 60_000;
      for (let step = await sweep.step(); step !== undefined; step = await sweep.step()) {
        for (const item of step.items) seen.add(item);
        if (step.cycleDone) cycles++;
      }
    }
    assert.ok(
      table.reads.every((n) => n <= 100),
      'never more than a page per read',
    );
    assert.equal(table.reads.length, 11, 'one page a minute from the tenth minute on');
    assert.equal(cycles, 1, 'one whole cycle between the 10th and the 19th minute');
    assert.equal(seen.size, 1_000, 'every item visited within the interval after the first load');
    assert.ok(sweep.dueInMs() > 0);
  });

  it('never reads more than one page in a step however far the clock jumps', async () => {
    const clock = { now: 0 };
    const table = fakeTable(250);
    const sweep = createPacedSweep({
      readPage: table.readPage,
      intervalMs: 1_000,
      pageSize: 100,
      now: () => clock.now,
    });
    await sweep.readAll();
    table.reads.length = 0;
    clock.now = 1_000_000;
    const step = await sweep.step();
    assert.deepEqual(table.reads, [100]);
    assert.equal(step?.cycleDone, false);
  });

  it('catches up at once on pages beyond the last cycle when the table grew, then paces by the new size', async () => {
    const clock = { now: 0 };
    const table = fakeTable(100);
    const sweep = createPacedSweep({
      readPage: table.readPage,
      intervalMs: 60_000,
      pageSize: 100,
      now: () => clock.now,
    });
    await sweep.readAll();
    assert.equal(sweep.pagesPerCycle, 1);
    table.items.push(...Array.from({ length: 200 }, (_, i) => 100 + i));
    clock.now = 60_000;
    const first = await sweep.step();
    assert.equal(first?.cycleDone, false);
    assert.ok(sweep.dueInMs() <= 0, 'the estimate said one page: the rest is due now');
    assert.equal((await sweep.step())?.cycleDone, false);
    assert.equal((await sweep.step())?.cycleDone, true);
    assert.equal(sweep.pagesPerCycle, 3);
    assert.equal(sweep.dueInMs(), 60_000, 'the next cycle one interval after this one began');
    clock.now = 120_000;
    await sweep.step();
    assert.equal(sweep.dueInMs(), 20_000, 'three pages now share the interval');
  });

  it('with a table of one page, reads it once per interval, as a whole scan did', async () => {
    const clock = { now: 0 };
    const table = fakeTable(30);
    const sweep = createPacedSweep({
      readPage: table.readPage,
      intervalMs: 5_000,
      pageSize: 100,
      now: () => clock.now,
    });
    // Before any cycle, the first page is due at once.
    const step = await sweep.step();
    assert.equal(step?.items.length, 30);
    assert.equal(step.cycleDone, true);
    assert.equal(await sweep.step(), undefined);
    clock.now = 5_000;
    assert.equal((await sweep.step())?.cycleDone, true);
  });

  it('refuses a page size or interval that could not make progress', () => {
    const readPage = () => Promise.resolve({ items: [] });
    assert.throws(
      () => createPacedSweep({ readPage, intervalMs: 0, pageSize: 10 }),
      /interval must be positive/,
    );
    assert.throws(() => createPacedSweep({ readPage, intervalMs: 10, pageSize: 0 }), /page size/);
  });
});
