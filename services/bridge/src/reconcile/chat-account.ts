import type { Position } from '../domain/agent-record.ts';
import { displayName } from '@ocf/naming';
import type { BridgeDeps, WorkContext } from './deps.ts';

/**
 * Makes the agent's account exist and match what the fleet says: registered in the bridge's
 * namespace (no password, no open registration involved), logging in only with the password in the
 * agent's secret, and named "Name — Title". Each part is looked at before it is changed, so a
 * repeat changes nothing — and, in particular, never logs a running agent out by setting the
 * password it already has.
 *
 * Returns the secret version the account now has, for the record.
 */
export async function ensureAccount(
  deps: BridgeDeps,
  agentId: string,
  position: Position,
  appliedSecretVersionId: string | undefined,
  { logger }: WorkContext,
): Promise<{ appliedSecretVersionId: string }> {
  const { homeserver, secrets, naming } = deps;
  const userId = naming.agentUserId(agentId);

  let account = await homeserver.account(userId);
  const created = account === undefined;
  if (account === undefined) {
    await homeserver.registerAgent(userId);
    account = { deactivated: false, displayName: undefined };
    logger.info('chat account created', { matrixUserId: userId });
  }

  // Only AWSCURRENT counts: rotation events arrive in any order, the secret's labels do not.
  const secret = await secrets.current(agentId);
  if (created || account.deactivated || appliedSecretVersionId !== secret.versionId) {
    await homeserver.setPassword(userId, secret.password, { reactivate: account.deactivated });
    logger.info(account.deactivated ? 'chat account reactivated' : 'chat account password set', {
      matrixUserId: userId,
      secretVersionId: secret.versionId,
    });
  }

  const wanted = displayName(position);
  if (account.displayName !== wanted) await homeserver.setDisplayName(userId, wanted);

  return { appliedSecretVersionId: secret.versionId };
}

/** Nothing of the agent stays able to log in. False when there never was an account. */
export async function deactivateAccount(
  deps: BridgeDeps,
  agentId: string,
  { logger }: WorkContext,
): Promise<boolean> {
  const userId = deps.naming.agentUserId(agentId);
  const account = await deps.homeserver.account(userId);
  if (account === undefined) return false;
  if (!account.deactivated) {
    await deps.homeserver.deactivate(userId);
    logger.info('chat account deactivated', { matrixUserId: userId });
  }
  return true;
}
