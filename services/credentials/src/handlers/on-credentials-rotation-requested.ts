import { ConflictError, TransientError } from '@ocf/errors';
import type { EventHandler } from '@ocf/runtime';
import { agentSecretName } from '@ocf/secrets';
import { requestToken } from '../domain/request-token.ts';
import { decideOnRotation } from '../domain/secret-lifecycle.ts';
import { SecretConflictError } from '../ports.ts';
import type { CredentialsDeps } from './deps.ts';
import { actOnLatestState } from './latest-state.ts';
import { agentSecretValueFor } from './secret-value.ts';

/**
 * CredentialsRotationRequested -> a new version of the agent's secret -> CredentialsRotated with
 * its version id. The bridge then ends the agent's Matrix sessions and adds a new access token to
 * the new version (ADR 0020), which makes the old token useless. The version id comes from the request's event id, so however often the request
 * is delivered it writes one version.
 */
export function onCredentialsRotationRequested(
  deps: CredentialsDeps,
): EventHandler<'CredentialsRotationRequested'> {
  return async (event, context) => {
    const { logger, signal } = context;
    const { agentId } = event.data;
    const name = agentSecretName(deps.environment, agentId);
    const versionId = requestToken('rotate', event.metadata.eventId);
    // A new version, a new model key: the old one stops working once this version is current.
    const value = await agentSecretValueFor(deps, agentId, versionId, signal);
    let versionAlreadyWritten = false;

    const rotated = await actOnLatestState(
      () => deps.store.describe({ name, signal }),
      async (state) => {
        const decision = decideOnRotation(state, { versionId, versionAlreadyWritten });
        switch (decision.action) {
          case 'put-new-version':
            try {
              const put = await deps.store.putNewVersion({
                name,
                value,
                clientRequestToken: versionId,
                signal,
              });
              return { secretArn: put.arn, versionId: put.versionId };
            } catch (error) {
              // The token is taken: an earlier delivery of this request wrote its version.
              if (error instanceof SecretConflictError && error.conflict === 'exists') {
                versionAlreadyWritten = true;
              }
              throw error;
            }
          case 'report-rotated':
            return { secretArn: decision.arn, versionId: decision.versionId };
          case 'ignore-superseded':
            return undefined;
          case 'wait-for-secret':
            throw new TransientError(
              'SECRET_NOT_ISSUED_YET',
              `agent ${agentId} has no secret to rotate yet; its hire may still be on its way`,
            );
          case 'refuse-retired':
            throw new ConflictError(
              `agent ${agentId} is retired: its secret ${decision.arn} is scheduled for deletion and gets no new value`,
              'AGENT_RETIRED',
            );
        }
      },
    );

    if (rotated === undefined) {
      logger.info('this rotation was overtaken by a later one; nothing to report', {
        secretName: name,
        versionId,
      });
      return;
    }
    logger.info('credentials rotated', rotated);
    await context.emit('CredentialsRotated', { agentId, ...rotated });
  };
}
