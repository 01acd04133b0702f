import { z } from 'zod';
import { commonSettings } from '@ocf/config';
import { levelSchema } from '@ocf/events';
import { NAMESPACE_PATTERN } from '@ocf/naming';

/**
 * The bridge service's settings, on top of the common ones (see shared/config). The two
 * application-service tokens are the bridge's only platform secrets (ADR 0020: no admin, no
 * registration shared secret): locally from the stack's description,
 * on AWS injected from Secrets Manager into the bridge's task (never into an agent's).
 */
export const settings = {
  PORT: commonSettings.PORT.default(8083),
  MATRIX_HOMESERVER_URL: z.url(),
  /** The `:server` part of every Matrix id on the fleet's homeserver. */
  MATRIX_SERVER_NAME: z.string().regex(/^[a-zA-Z0-9.-]+(:\d+)?$/, 'a host name, optionally with a port'),
  /** The application-service registration the homeserver holds for the bridge. */
  BRIDGE_AS_ID: z.string().min(1).default('ocf-bridge'),
  BRIDGE_AS_TOKEN: z.string().min(1),
  BRIDGE_HS_TOKEN: z.string().min(1),
  BRIDGE_SENDER_LOCALPART: z
    .string()
    .regex(/^[a-z0-9._=/-]+$/)
    .default('fleet-bot'),
  /** Where the homeserver pushes transactions (the registration's `url`); 0 picks a free port. */
  BRIDGE_AS_PORT: z.coerce.number().int().min(0).max(65535).default(9009),
  /**
   * Keeps fleets that share a homeserver apart: part of every agent's user id and every room
   * alias. The fleet command sets it to the environment's name for every local fleet but the
   * default one (local-stack/src/fleet-environment.ts). Unset on AWS, where each environment has
   * a homeserver of its own.
   */
  BRIDGE_NAMESPACE: z
    .string()
    .regex(NAMESPACE_PATTERN, '1-31 lowercase letters, digits or hyphens, as an environment name')
    .optional(),
  /** The human CEO, invited to every org room. */
  BRIDGE_CEO_USER_ID: z.string().regex(/^@[^:\s]+:[a-zA-Z0-9.:-]+$/, 'a Matrix user id, @name:server'),
  /** How often agents parked by an outage are tried again. */
  BRIDGE_SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(30_000),
  /** How long an agent may stay parked before its step is reported failed. */
  BRIDGE_MAX_PARKED_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 3600 * 1000),
  /**
   * Sleep and wake (ADR 0018, 0019). Levels whose agents are on-demand unless their own wake policy
   * says otherwise (comma-separated; empty: every agent is always-on unless it says otherwise).
   */
  BRIDGE_ON_DEMAND_LEVELS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((level) => level.trim())
        .filter((level) => level !== ''),
    )
    .pipe(z.array(levelSchema)),
  /** How long an on-demand agent may be idle before it sleeps, unless it has its own timeout. */
  BRIDGE_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(1800),
  /** At most this many agents awake at once; 0: no cap (the default on AWS). */
  BRIDGE_AWAKE_CAP: z.coerce.number().int().min(0).default(0),
  /** Activity is written to the bridge's table at most this often per agent. */
  BRIDGE_ACTIVITY_FLUSH_MS: z.coerce.number().int().positive().default(5_000),
  /**
   * A sleep/wake decision pass at least this often. It decides on the scheduler's view in memory
   * and reads from the table only the agents it is about to act on (ADR 0030).
   */
  BRIDGE_SLEEP_CHECK_MS: z.coerce.number().int().positive().default(15_000),
  /**
   * One round of the scheduler's resync (ADR 0030): every agent's activity record is read again
   * once per this interval, a page of 100 at a time spread evenly over it (never the whole
   * partition per check), so what another bridge replica wrote reaches this one's view.
   */
  BRIDGE_SLEEP_RESYNC_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
};
