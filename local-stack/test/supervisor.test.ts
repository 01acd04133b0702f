import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { createSupervisor, describeExit, restartDecision, type RestartPolicy } from '../src/supervisor.ts';

const policy: RestartPolicy = { baseMs: 1_000, maxMs: 8_000, maxCrashes: 5, windowMs: 60_000 };

describe('restartDecision', () => {
  it('doubles the wait with each crash in the window, up to the cap', () => {
    const delays: number[] = [];
    const crashes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const now = 1_000_000 + i * 1_000;
      const decision = restartDecision(crashes, now, { ...policy, maxCrashes: 10 });
      crashes.push(now);
      assert.ok(decision.kind === 'restart');
      delays.push(decision.delayMs);
    }
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000]);
    const capped = restartDecision([1, 2, 3, 4, 5, 6], 7, { ...policy, maxCrashes: 10 });
    assert.deepEqual(capped, { kind: 'restart', delayMs: 8_000, crashesInWindow: 7 });
  });

  it('gives up on the n-th crash within the window, and forgets crashes older than it', () => {
    assert.deepEqual(restartDecision([10, 20, 30, 40], 50, policy), { kind: 'give-up', crashesInWindow: 5 });
    // Four crashes long ago, one now: a fresh start.
    assert.deepEqual(restartDecision([10, 20, 30, 40], 100_000, policy), {
      kind: 'restart',
      delayMs: 1_000,
      crashesInWindow: 1,
    });
  });

  it('says how a child ended', () => {
    assert.equal(describeExit(null, 'SIGKILL'), 'signal SIGKILL');
    assert.equal(describeExit(3, null), 'exit code 3');
  });
});

describe('createSupervisor, with real child processes', () => {
  const fast: RestartPolicy = { baseMs: 50, maxMs: 200, maxCrashes: 3, windowMs: 60_000 };

  it('restarts a child killed with SIGKILL and says so', async () => {
    const lines: string[] = [];
    let restarted: (() => void) | undefined;
    const supervisor = createSupervisor({
      name: 'sleeper',
      policy: fast,
      say: (line) => lines.push(line),
      spawn: () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }),
      onRestart: () => restarted?.(),
    });
    const first = supervisor.start();
    const back = new Promise<void>((resolve) => (restarted = resolve));
    first.kill('SIGKILL');
    await back;
    const second = supervisor.child;
    assert.ok(second?.pid !== undefined && second.pid !== first.pid);
    assert.equal(second.exitCode, null);
    assert.equal(supervisor.restarts, 1);
    assert.match(
      lines[0] ?? '',
      /^sleeper died at \d\d:\d\d:\d\d \(signal SIGKILL\); restarting it in 0\.1 s \(crash 1 of 3/,
    );
    supervisor.stop();
    const exited = once(second, 'exit');
    second.kill('SIGTERM');
    await exited;
    assert.equal(supervisor.restarts, 1, 'no restart after stop()');
  });

  it('gives up after the allowed crashes in the window, and does not restart a clean exit', async () => {
    const lines: string[] = [];
    const gaveUp = new Promise<void>((resolve) => {
      const supervisor = createSupervisor({
        name: 'crasher',
        policy: fast,
        say: (line) => lines.push(line),
        spawn: () => spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' }),
        onGiveUp: resolve,
      });
      supervisor.start();
    });
    await gaveUp;
    assert.equal(lines.length, 3);
    assert.match(
      lines[2] ?? '',
      /crasher died at .* \(exit code 3\): crash 3 within 60 s, the limit; giving up on it/,
    );

    let stoppedOnPurpose = false;
    const clean = createSupervisor({
      name: 'clean',
      policy: fast,
      say: () => undefined,
      spawn: () => spawn(process.execPath, ['-e', 'process.exit(0)'], { stdio: 'ignore' }),
      onStoppedOnPurpose: () => (stoppedOnPurpose = true),
    });
    await once(clean.start(), 'exit');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(stoppedOnPurpose, true);
    assert.equal(clean.restarts, 0);
  });
});
