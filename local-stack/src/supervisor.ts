import type { ChildProcess } from 'node:child_process';

/**
 * Restarts a crashed child the way ECS restarts a dead task, with a crash-loop brake like
 * systemd's `StartLimitBurst` in `StartLimitIntervalSec`: each crash within `windowMs` of the
 * previous ones doubles the wait (from `baseMs`, capped at `maxMs`); the `maxCrashes`-th crash
 * inside the window gives up, because a process that cannot stay up needs a person, not a loop.
 */
export interface RestartPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxCrashes: number;
  readonly windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  baseMs: 1_000,
  maxMs: 30_000,
  maxCrashes: 5,
  windowMs: 120_000,
};

export type RestartDecision =
  | { readonly kind: 'restart'; readonly delayMs: number; readonly crashesInWindow: number }
  | { readonly kind: 'give-up'; readonly crashesInWindow: number };

/** `crashes`: when this child crashed before (ms), not counting the crash at `now`. */
export function restartDecision(
  crashes: readonly number[],
  now: number,
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
): RestartDecision {
  const crashesInWindow = crashes.filter((at) => now - at < policy.windowMs).length + 1;
  if (crashesInWindow >= policy.maxCrashes) return { kind: 'give-up', crashesInWindow };
  const delayMs = Math.min(policy.maxMs, policy.baseMs * 2 ** (crashesInWindow - 1));
  return { kind: 'restart', delayMs, crashesInWindow };
}

/** How a child ended, in words: `exit code 1`, `signal SIGKILL`. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal === null ? `exit code ${code ?? 'unknown'}` : `signal ${signal}`;
}

export interface SupervisorOptions {
  readonly name: string;
  /** Starts (or restarts) the child; called once by start() and once per restart. */
  readonly spawn: () => ChildProcess;
  /** One line per event, for the console: died, restarting, gave up. */
  readonly say: (line: string) => void;
  readonly policy?: RestartPolicy;
  readonly now?: () => number;
  /** After each restart: e.g. wait until it is ready and record its new pid. */
  readonly onRestart?: (child: ChildProcess) => Promise<void> | void;
  /** After giving up: the rest keeps running. */
  readonly onGiveUp?: () => void;
  /** The child exited with code 0: someone stopped it on purpose, so it is not restarted. */
  readonly onStoppedOnPurpose?: () => void;
}

export interface Supervisor {
  start(): ChildProcess;
  /** Stops restarting (before the fleet stops its children on purpose). */
  stop(): void;
  readonly child: ChildProcess | undefined;
  readonly restarts: number;
  readonly gaveUp: boolean;
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const policy = options.policy ?? DEFAULT_RESTART_POLICY;
  const now = options.now ?? Date.now;
  const crashes: number[] = [];
  let child: ChildProcess | undefined;
  let stopped = false;
  let gaveUp = false;
  let restarts = 0;
  let pendingRestart: NodeJS.Timeout | undefined;

  function launch(): ChildProcess {
    const started = options.spawn();
    child = started;
    started.once('exit', (code, signal) => {
      if (stopped) return;
      if (code === 0) {
        options.onStoppedOnPurpose?.();
        return;
      }
      onCrash(code, signal);
    });
    return started;
  }

  function onCrash(code: number | null, signal: NodeJS.Signals | null): void {
    const at = now();
    const decision = restartDecision(crashes, at, policy);
    crashes.push(at);
    const when = new Date(at).toISOString().slice(11, 19);
    if (decision.kind === 'give-up') {
      gaveUp = true;
      options.say(
        `${options.name} died at ${when} (${describeExit(code, signal)}): crash ${decision.crashesInWindow} ` +
          `within ${policy.windowMs / 1000} s, the limit; giving up on it, the rest of the fleet keeps running. ` +
          `Read its log, fix the cause, and restart the fleet.`,
      );
      options.onGiveUp?.();
      return;
    }
    options.say(
      `${options.name} died at ${when} (${describeExit(code, signal)}); restarting it in ` +
        `${(decision.delayMs / 1000).toFixed(1)} s (crash ${decision.crashesInWindow} of ` +
        `${policy.maxCrashes} allowed within ${policy.windowMs / 1000} s)`,
    );
    pendingRestart = setTimeout(() => {
      pendingRestart = undefined;
      if (stopped) return;
      restarts++;
      const restarted = launch();
      void Promise.resolve(options.onRestart?.(restarted)).catch((error: unknown) => {
        options.say(`${options.name} restarted but is not ready: ${(error as Error).message}`);
      });
    }, decision.delayMs);
  }

  return {
    start: launch,
    stop() {
      stopped = true;
      if (pendingRestart !== undefined) clearTimeout(pendingRestart);
    },
    get child() {
      return child;
    },
    get restarts() {
      return restarts;
    },
    get gaveUp() {
      return gaveUp;
    },
  };
}
