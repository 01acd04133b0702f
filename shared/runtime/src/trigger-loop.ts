import { sleep as defaultSleep, type Sleep } from './backoff.ts';

export interface TriggerLoopOptions {
  /** One pass. It gets the loop's stop signal: a pass should end soon after that aborts. */
  readonly pass: (signal: AbortSignal) => Promise<void>;
  /** How long to wait after a pass when nothing triggers another (the periodic resync). */
  readonly idleMs: () => number;
  /**
   * A pass failed: report it, and say how long to wait before trying again (a trigger does not cut
   * that wait short), or undefined to wait as after a pass that went well.
   */
  readonly onError: (error: unknown, failuresInARow: number) => number | undefined;
  /** A pass as soon as the loop starts (the default), or only after the first wait. */
  readonly passAtStart?: boolean;
  /** Waits that end early when the signal aborts; tests pass a fake clock's. */
  readonly sleep?: Sleep;
}

export interface TriggerLoop {
  /** Something changed: a pass soon. Triggers while a pass runs coalesce into one more pass. */
  trigger(): void;
  /** Starts the loop (once; later calls do nothing). */
  start(): void;
  /** Stops the loop: no pass starts after this, and it resolves once the running pass has ended. */
  stop(): Promise<void>;
  /** Runs `work` when no pass runs, holding the loop's passes off meanwhile: passes never overlap. */
  exclusive<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/**
 * The level-triggered loop of a service's background work (provisioning's reconciler, health's
 * monitor, the sweepers): it sleeps until triggered or until its resync is due, runs one pass at a
 * time, and on stop waits for the pass under way instead of abandoning it half done.
 */
export function createTriggerLoop(options: TriggerLoopOptions): TriggerLoop {
  const sleep = options.sleep ?? defaultSleep;
  const stopping = new AbortController();
  const isStopping = (): boolean => stopping.signal.aborted;
  let due = options.passAtStart ?? true;
  let idle: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let current: Promise<unknown> = Promise.resolve();

  function exclusive<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const next = current.then(() => work(stopping.signal));
    current = next.catch(() => undefined);
    return next;
  }

  /** Waits `ms`, or less when the loop stops, or (if `wakeable`) when triggered. */
  async function wait(ms: number, wakeable: boolean): Promise<void> {
    const waiting = new AbortController();
    const onStop = (): void => {
      waiting.abort();
    };
    stopping.signal.addEventListener('abort', onStop, { once: true });
    if (wakeable) idle = waiting;
    try {
      await sleep(Math.max(0, ms), waiting.signal);
    } finally {
      if (idle === waiting) idle = undefined;
      stopping.signal.removeEventListener('abort', onStop);
    }
  }

  async function run(): Promise<void> {
    let failuresInARow = 0;
    while (!isStopping()) {
      if (!due) await wait(options.idleMs(), true);
      if (isStopping()) break;
      due = false;
      try {
        await exclusive(options.pass);
        failuresInARow = 0;
      } catch (error) {
        if (isStopping()) break;
        const retryMs = options.onError(error, ++failuresInARow);
        if (retryMs !== undefined) {
          due = true;
          await wait(retryMs, false);
        }
      }
    }
  }

  return {
    trigger() {
      due = true;
      idle?.abort();
    },
    start() {
      loop ??= run();
    },
    async stop() {
      stopping.abort();
      await loop;
      await current;
    },
    exclusive,
  };
}
