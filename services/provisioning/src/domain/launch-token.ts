import { createHash } from 'node:crypto';

/**
 * The RunTask `clientToken` of one launch: the same for every attempt at the same launch (a
 * retry, a second provisioning instance, a restart of provisioning mid-call), different for the
 * next one. A launch is named by the hire it belongs to and the restart request it answers, so
 * a re-hire or a new restart never collides with an earlier launch. ECS takes up to 64 ASCII
 * characters; a hash keeps the agent id and event ids out of a field ECS may log elsewhere.
 */
export function launchToken(agentId: string, hireEventId: string, restartEventId?: string): string {
  const digest = createHash('sha256')
    .update(`${agentId}\n${hireEventId}\n${restartEventId ?? 'first-launch'}`)
    .digest('hex');
  return `ocf-${digest.slice(0, 48)}`;
}
