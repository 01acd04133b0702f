import { z } from 'zod';
import { commonSettings } from '@ocf/config';

/** The credentials service's settings, on top of the common ones (see shared/config). */
export const settings = {
  PORT: commonSettings.PORT.default(8082),
  /**
   * KMS key (id, ARN or alias) that encrypts agents' secrets. Set on AWS, where it is the fleet's
   * own customer-managed key; absent locally, where Secrets Manager's default key is used.
   */
  CREDENTIALS_KMS_KEY_ID: z.string().min(1).optional(),
  /**
   * Days a retired agent's secret stays recoverable (a re-hire restores it) before Secrets
   * Manager deletes it. Secrets Manager accepts 7 to 30.
   */
  CREDENTIALS_RECOVERY_WINDOW_DAYS: z.coerce.number().int().min(7).max(30).default(7),
};
