import { errorMessage } from '@ocf/errors';
import type { Logger } from '@ocf/logging';
import { sleep as realSleep, type Sleep } from '@ocf/runtime';
import type { Homeserver } from '../ports.ts';

/** Waits between attempts while the homeserver does not answer yet (it may be starting too). */
export const RESUME_PUSH_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000] as const;

/**
 * Synapse backs off from an application service it could not reach (2 s, doubling up to ~8.5
 * minutes) and holds every push meanwhile. A bridge that has just started (a deploy, a crash and
 * restart) would hear no room event — so see no mention and wake no sleeping agent — until that
 * back-off ran out. A successful ping (MSC2659) makes the homeserver send what it held back at
 * once, so the bridge asks for one as soon as its endpoint listens, and again while the
 * homeserver does not answer. Never throws: the homeserver's own retries are the fallback.
 */
export async function resumeHomeserverPushes(
  homeserver: Pick<Homeserver, 'resumePushes'>,
  logger: Logger,
  signal: AbortSignal,
  options: { readonly delaysMs?: readonly number[]; readonly sleep?: Sleep } = {},
): Promise<boolean> {
  const delays = options.delaysMs ?? RESUME_PUSH_DELAYS_MS;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      await homeserver.resumePushes();
      logger.info('the homeserver reaches the application-service endpoint; held-back pushes resumed');
      return true;
    } catch (error) {
      const delay = delays[attempt];
      if (delay === undefined) {
        logger.warn(
          'the homeserver could not reach the application-service endpoint; it retries on its own back-off',
          {
            attempts: attempt + 1,
            error: errorMessage(error),
          },
        );
        return false;
      }
      logger.warn('the homeserver could not reach the application-service endpoint yet; asking again', {
        attempt: attempt + 1,
        retryInMs: delay,
        error: errorMessage(error),
      });
      await sleep(delay, signal);
    }
  }
  return false;
}
