import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Sleep } from '../src/backoff.ts';
import { createTriggerLoop, type TriggerLoopOptions } from '../src/trigger-loop.ts';

/** A clock that moves only when the test says so; its sleeps end at their time or on abort. */
function fakeClock() {
  let now = 0;
  const sleepers: { until: number; ms: number; wake: () => void }[] = [];
  const sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve) => {
      const sleeper = { until: now + ms, ms, wake: (): void => undefined };
      sleeper.wake = () => {
        sleepers.splice(sleepers.indexOf(sleeper), 1);
        signal?.removeEventListener('abort', sleeper.wake);
        resolve();
      };
      if (signal?.aborted === true) {
        resolve();
        return;
      }
      sleepers.push(sleeper);
      signal?.addEventListener('abort', sleeper.wake, { once: true });
    });
  return {
    sleep,
    /** The lengths of the sleeps under way. */
    get sleeping() {
      return sleepers.map((s) => s.ms);
    },
    async advance(ms: number) {
      now += ms;
      for (const s of sleepers.filter((x) => x.until <= now)) s.wake();
      await settle();
    },
  };
}

/** Lets every promise that can settle now settle (no timer involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await turn();
}

/** Passes that only count themselves. */
function countedPasses() {
  let passes = 0;
  return {
    pass: () => {
      passes++;
      return Promise.resolve();
    },
    get passes() {
      return passes;
    },
  };
}

/** A pass the test finishes by hand, to look at the loop while it runs. */
function gatedPasses() {
  const gates: (() => void)[] = [];
  let started = 0;
  return {
    pass: () =>
      new Promise<void>((resolve) => {
        started++;
        gates.push(resolve);
      }),
    get started() {
      return started;
    },
    finish() {
      gates.shift()?.();
    },
  };
}

function loopWith(clock: ReturnType<typeof fakeClock>, options: Partial<TriggerLoopOptions>) {
  return createTriggerLoop({
    pass: () => Promise.resolve(),
    idleMs: () => 1_000,
    onError: () => undefined,
    sleep: clock.sleep,
    ...options,
  });
}

describe('trigger loop', () => {
  it('runs a pass at start, then one every resync interval when nothing triggers it', async () => {
    const clock = fakeClock();
    const counted = countedPasses();
    const loop = loopWith(clock, { pass: counted.pass });
    loop.start();
    await settle();
    assert.equal(counted.passes, 1);
    assert.deepEqual(clock.sleeping, [1_000]);
    await clock.advance(999);
    assert.equal(counted.passes, 1);
    await clock.advance(1);
    assert.equal(counted.passes, 2);
    await loop.stop();
  });

  it('can wait for its first pass', async () => {
    const clock = fakeClock();
    const counted = countedPasses();
    const loop = loopWith(clock, { pass: counted.pass, passAtStart: false });
    loop.start();
    await settle();
    assert.equal(counted.passes, 0);
    await clock.advance(1_000);
    assert.equal(counted.passes, 1);
    await loop.stop();
  });

  it('wakes at once on a trigger', async () => {
    const clock = fakeClock();
    const counted = countedPasses();
    const loop = loopWith(clock, { pass: counted.pass });
    loop.start();
    await settle();
    loop.trigger();
    await settle();
    assert.equal(counted.passes, 2, 'no resync interval went by');
    await loop.stop();
  });

  it('coalesces triggers during a pass into exactly one more pass', async () => {
    const clock = fakeClock();
    const gated = gatedPasses();
    const loop = loopWith(clock, { pass: gated.pass });
    loop.start();
    await settle();
    assert.equal(gated.started, 1);
    loop.trigger();
    loop.trigger();
    loop.trigger();
    await settle();
    assert.equal(gated.started, 1, 'no second pass on top of the first');
    gated.finish();
    await settle();
    assert.equal(gated.started, 2);
    gated.finish();
    await settle();
    assert.equal(gated.started, 2, 'three triggers made one pass');
    assert.deepEqual(clock.sleeping, [1_000]);
    await loop.stop();
  });

  it('runs outside work between passes, never during one', async () => {
    const clock = fakeClock();
    const gated = gatedPasses();
    const loop = loopWith(clock, { pass: gated.pass });
    loop.start();
    await settle();
    let outsideRan = false;
    const outside = loop.exclusive(() => Promise.resolve((outsideRan = true)));
    await settle();
    assert.equal(outsideRan, false, 'waits for the pass under way');
    gated.finish();
    assert.equal(await outside, true);
    await loop.stop();
  });

  it('stop waits for the pass under way, and no pass starts after it', async () => {
    const clock = fakeClock();
    const gated = gatedPasses();
    let signal: AbortSignal | undefined;
    const loop = loopWith(clock, {
      pass: (s) => {
        signal = s;
        return gated.pass();
      },
    });
    loop.start();
    await settle();
    loop.trigger();
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await settle();
    assert.equal(signal?.aborted, true, 'the pass is told to finish');
    assert.equal(stopped, false, 'stop waits for the pass');
    gated.finish();
    await stopping;
    assert.equal(gated.started, 1, 'the trigger made no pass after stop');
  });

  it('stop ends an idle wait at once', async () => {
    const clock = fakeClock();
    const loop = loopWith(clock, {});
    loop.start();
    await settle();
    assert.deepEqual(clock.sleeping, [1_000]);
    await loop.stop();
    assert.deepEqual(clock.sleeping, []);
  });

  it('after a failed pass waits as onError says, without a trigger cutting that short', async () => {
    const clock = fakeClock();
    const failures: number[] = [];
    let passes = 0;
    const loop = loopWith(clock, {
      pass: () => (++passes <= 2 ? Promise.reject(new Error('down')) : Promise.resolve()),
      onError: (_error, inARow) => {
        failures.push(inARow);
        return 50 * inARow;
      },
    });
    loop.start();
    await settle();
    assert.deepEqual(failures, [1]);
    assert.deepEqual(clock.sleeping, [50]);
    loop.trigger();
    await settle();
    assert.equal(passes, 1, 'a trigger does not cut the back-off short');
    await clock.advance(50);
    assert.deepEqual(failures, [1, 2]);
    assert.deepEqual(clock.sleeping, [100]);
    await clock.advance(100);
    assert.equal(passes, 3);
    assert.deepEqual(clock.sleeping, [1_000], 'back to the resync interval');
    await loop.stop();
  });

  it('after a failed pass with no retry delay waits as after any pass', async () => {
    const clock = fakeClock();
    let passes = 0;
    const loop = loopWith(clock, {
      pass: () => (++passes === 1 ? Promise.reject(new Error('down')) : Promise.resolve()),
    });
    loop.start();
    await settle();
    assert.deepEqual(clock.sleeping, [1_000]);
    await clock.advance(1_000);
    assert.equal(passes, 2);
    await loop.stop();
  });
});
