/**
 * How provisioning signs a stop it made on purpose, so health never counts it as a crash: on ECS
 * the task's `stoppedReason` starts with FLEET_STOP_PREFIX; locally, `exit.json` says
 * `stoppedBy: FLEET_STOPPER` (local-files.ts).
 */
export const FLEET_STOPPER = 'ocf-provisioning';

/** The start of the `stoppedReason` of every ECS task provisioning stops. */
export const FLEET_STOP_PREFIX = `${FLEET_STOPPER}: `;
