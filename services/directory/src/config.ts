import { z } from 'zod';
import { commonSettings } from '@ocf/config';

/** The directory service's settings, on top of the common ones (see shared/config). */
export const settings = {
  PORT: commonSettings.PORT.default(8081),
  /** How often events left in the outbox (the bus was unreachable) are published again. */
  DIRECTORY_OUTBOX_SWEEP_MS: z.coerce.number().int().positive().default(15_000),
  /**
   * The cascade resync (ADR 0024): an agent at a status the cascade only passes through (hired,
   * credentials-issued, chat-account-ready, launching, retiring) with no progress for this long
   * gets its request announced again, in case an event on the way was lost.
   */
  DIRECTORY_RESYNC_STALLED_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  /** Each further resync of the same agent at the same status waits twice as long, up to this. */
  DIRECTORY_RESYNC_MAX_WAIT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(60 * 60_000),
  /** How often the directory looks for such agents. */
  DIRECTORY_RESYNC_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  /**
   * How many hires an org import (POST /v1/org/import) or org apply runs at once. Managers are
   * still hired before their reports; each hire is a few AWS calls in a row, so one at a time
   * leaves the store and the bus mostly idle (docs/benchmarks.md, "Org import"; ADR 0032).
   */
  DIRECTORY_IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /** How often the change feed is read while someone watches (GET /v1/watch/agents). */
  DIRECTORY_WATCH_POLL_MS: z.coerce.number().int().positive().default(1_000),
  /** How far back each read of the change feed starts again (late index updates, clock skew between instances). */
  DIRECTORY_WATCH_SETTLE_MS: z.coerce.number().int().nonnegative().default(5_000),
  /** The built web console served under /console (ADR 0025); default: @ocf/console's dist/. */
  CONSOLE_ASSETS_DIR: z.string().min(1).optional(),
  /** The fleet's homeserver as an operator's browser reaches it, for the console's chat; unset: no chat. */
  CONSOLE_HOMESERVER_URL: z.url().optional(),
  /** The fleet homeserver's name, to tell the console an agent's Matrix id and room; unset: no chat. */
  MATRIX_SERVER_NAME: z.string().min(1).optional(),
  /** The bridge's namespace when fleets share a homeserver (BRIDGE_NAMESPACE of the bridge). */
  MATRIX_NAMESPACE: z.string().min(1).optional(),
};
