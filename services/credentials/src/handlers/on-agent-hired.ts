import type { EventHandler } from '@ocf/runtime';
import { agentSecretName } from '@ocf/secrets';
import { agentSecretDescription, agentSecretTags } from '../domain/agent-secret.ts';
import { requestToken } from '../domain/request-token.ts';
import { decideOnHire } from '../domain/secret-lifecycle.ts';
import type { CredentialsDeps } from './deps.ts';
import { actOnLatestState } from './latest-state.ts';
import { agentSecretValueFor } from './secret-value.ts';

/**
 * AgentHired -> the agent has a secret -> CredentialsIssued with its ARN (never its value).
 * Any number of deliveries make one secret: a missing secret is created, a retired one (a
 * re-hire within the recovery window) is restored, and an existing one is reported again.
 */
export function onAgentHired(deps: CredentialsDeps): EventHandler<'AgentHired'> {
  return async (event, context) => {
    const { logger, signal } = context;
    const { agentId } = event.data;
    const name = agentSecretName(deps.environment, agentId);
    // The first version's id is the create's request token, known before the write: the key names it.
    const versionId = requestToken('issue', event.metadata.eventId);
    // Made once per delivery, so the SDK's own retries of CreateSecret repeat the same value under
    // the same token, which Secrets Manager treats as one request.
    const value = await agentSecretValueFor(deps, agentId, versionId, signal);

    const issued = await actOnLatestState(
      () => deps.store.describe({ name, signal }),
      async (state) => {
        const decision = decideOnHire(state);
        switch (decision.action) {
          case 'create': {
            const created = await deps.store.create({
              name,
              value,
              description: agentSecretDescription(agentId),
              tags: agentSecretTags(deps.environment, agentId),
              kmsKeyId: deps.kmsKeyId,
              clientRequestToken: versionId,
              signal,
            });
            return { secretArn: created.arn, restored: false };
          }
          case 'restore':
            await deps.store.restore({ name, signal });
            return { secretArn: decision.arn, restored: true };
          case 'report-issued':
            return { secretArn: decision.arn, restored: false };
        }
      },
    );

    logger.info(issued.restored ? 'credentials restored' : 'credentials issued', issued);
    await context.emit('CredentialsIssued', { agentId, ...issued });
  };
}
