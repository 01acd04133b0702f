import type { EventHandler } from '@ocf/runtime';
import { agentSecretName } from '@ocf/secrets';
import { decideOnRetirement } from '../domain/secret-lifecycle.ts';
import type { CredentialsDeps } from './deps.ts';
import { actOnLatestState } from './latest-state.ts';

/**
 * AgentRetired -> the agent's secret is scheduled for deletion -> CredentialsRevoked with its ARN
 * and the date it goes for good (until then a re-hire restores it). A secret scheduled already
 * is reported again; an agent without a secret needs nothing revoked and gets no event (ADR 0006).
 */
export function onAgentRetired(deps: CredentialsDeps): EventHandler<'AgentRetired'> {
  return async (event, context) => {
    const { logger, signal } = context;
    const { agentId } = event.data;
    const name = agentSecretName(deps.environment, agentId);

    const revoked = await actOnLatestState(
      () => deps.store.describe({ name, signal }),
      async (state) => {
        const decision = decideOnRetirement(state);
        switch (decision.action) {
          case 'schedule-deletion': {
            const scheduled = await deps.store.scheduleDeletion({
              name,
              recoveryWindowDays: deps.recoveryWindowDays,
              signal,
            });
            return { secretArn: scheduled.arn, deletionDate: scheduled.deletionDate };
          }
          case 'report-revoked':
            return { secretArn: decision.arn, deletionDate: decision.deletionDate };
          case 'nothing-to-revoke':
            return undefined;
        }
      },
    );

    if (revoked === undefined) {
      logger.info('no secret to revoke; the retirement needs nothing from credentials', { secretName: name });
      return;
    }
    const deletionDate = revoked.deletionDate.toISOString();
    logger.info('credentials revoked', { secretArn: revoked.secretArn, deletionDate });
    await context.emit('CredentialsRevoked', { agentId, secretArn: revoked.secretArn, deletionDate });
  };
}
