import { z } from 'zod';
import { commonSettings } from '@ocf/config';

/** The health service's settings, on top of the common ones (see shared/config). */
export const settings = {
  PORT: commonSettings.PORT.default(8085),
  /** Where agents run, as provisioning has it: `ecs` or `local`. */
  AGENT_RUNNER: z.enum(['local', 'ecs']).default('local'),
  /** The agents' ECS cluster; default `ocf-<env>-agents`. */
  AGENT_CLUSTER: z.string().min(1).optional(),
  /** Local agents' folders (the same as provisioning's); default `.local-stack/agents/<env>`. */
  LOCAL_AGENTS_DIR: z.string().min(1).optional(),
  /**
   * Tasks not yet settled (launching, unhealthy, running but not yet reported) are looked at this
   * often, and any task at once after a launch or an ECS task state change.
   */
  HEALTH_POLL_MS: z.coerce.number().int().min(100).default(15_000),
  /**
   * Settled tasks (running, reported) are all looked at within this long, a page of
   * `HEALTH_SWEEP_PAGE_SIZE` at a time spread over it (ADR 0036); default 4 × `HEALTH_POLL_MS`.
   * It bounds how late a failing health check is seen (ECS sends no event for one).
   */
  HEALTH_SWEEP_MS: z.coerce.number().int().min(100).optional(),
  /** Settled tasks per sweep page: one DescribeTasks, whose most is 100. */
  HEALTH_SWEEP_PAGE_SIZE: z.coerce.number().int().min(1).max(100).default(100),
  /**
   * The monitor's in-memory view of its table is read again over this long, one page at a time
   * (ADR 0029): what another replica wrote, or a crash left, is seen within it. Polls themselves
   * read no table.
   */
  HEALTH_RESYNC_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(10 * 60_000),
  /** Records per resync page (a DynamoDB Scan `Limit`). */
  HEALTH_RESYNC_PAGE_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
  /** AgentsByState and the counters go to CloudWatch this often. */
  HEALTH_METRICS_MS: z.coerce.number().int().min(100).default(60_000),
  /** Failures within this window count towards a crash loop... */
  HEALTH_FAILURE_WINDOW_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  /** ...and this many of them make one: restarts stop. */
  HEALTH_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  /** Restart n waits base * 2^(n-1), at most max. */
  HEALTH_BACKOFF_BASE_MS: z.coerce.number().int().min(0).default(10_000),
  HEALTH_BACKOFF_MAX_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5 * 60_000),
  /** A task failing its health check this long is replaced. */
  HEALTH_UNHEALTHY_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  /** A task not RUNNING this long after its launch has failed to start. */
  HEALTH_LAUNCH_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  /** A local agent's health endpoint must answer within this. */
  HEALTH_PROBE_TIMEOUT_MS: z.coerce.number().int().positive().default(2_000),
  /** The queue a default-bus rule fills with "ECS Task State Change" events (optional: polling alone works). */
  HEALTH_ECS_EVENTS_QUEUE_URL: z.url().optional(),
};
