import { z } from 'zod';
import { commonSettings } from '@ocf/config';

/** The directory service's settings, on top of the common ones (see shared/config). */
export const settings = {
  PORT: commonSettings.PORT.default(8081),
  /** How often events left in the outbox (the bus was unreachable) are published again. */
  DIRECTORY_OUTBOX_SWEEP_MS: z.coerce.number().int().positive().default(15_000),
};
