import type { Logger } from '@ocf/logging';

/** Work a service runs beside its consumer and HTTP side: a loop, a sweeper, another listener. */
export interface BackgroundWork {
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceParts {
  /** The queue consumer, when the service consumes. */
  readonly consumer?: { start(): void; stop(): Promise<void> } | undefined;
  /** The HTTP side: listens once everything else is started, closes last. */
  readonly http: { listen(): Promise<string>; close(): Promise<void> };
  /** By name, started in this order and stopped in the reverse one. */
  readonly background: Readonly<Record<string, BackgroundWork>>;
  readonly logger: Logger;
}

export interface StartedParts {
  readonly url: string;
  /** Idempotent: a second call gets the first one's promise. */
  stop(): Promise<void>;
}

/**
 * The order every service starts and stops in. Start: background work, then HTTP, then the
 * consumer (nothing is taken off the queue before the service can do it). Stop: stop taking work
 * and drain the consumer, then stop the background work (a loop's pass may still publish), then
 * close HTTP. A part that fails to stop is logged and the rest still stop.
 */
export async function startParts(parts: ServiceParts): Promise<StartedParts> {
  const { consumer, http, logger } = parts;
  const started: [string, BackgroundWork][] = [];

  const stopBackground = async (): Promise<void> => {
    for (const [name, work] of started.reverse()) {
      try {
        await work.stop();
      } catch (error) {
        logger.error('could not stop background work', { background: name, error });
      }
    }
  };

  let url: string;
  try {
    for (const [name, work] of Object.entries(parts.background)) {
      await work.start();
      started.push([name, work]);
    }
    url = await http.listen();
  } catch (error) {
    await stopBackground();
    await http.close();
    throw error;
  }
  consumer?.start();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await consumer?.stop();
      await stopBackground();
      await http.close();
    })());
  return { url, stop };
}
