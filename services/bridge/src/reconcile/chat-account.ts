import type { Position } from '../domain/agent-record.ts';
import { displayName } from '@ocf/naming';
import type { BridgeDeps, WorkContext } from './deps.ts';

/**
 * The device every agent's token is minted for. The agent container tells OpenClaw the same id,
 * so restarts reuse one device on the homeserver and a new token replaces the device's sessions.
 */
export const AGENT_DEVICE_ID = 'OCFAGENT';

/**
 * Makes the agent's account exist and match what the fleet says: registered in the bridge's
 * namespace (no password, no open registration involved), reachable only with the access token
 * the bridge minted into the agent's secret, and named "Name — Title" (ADR 0020).
 *
 * The token goes with a secret version: whenever the current version is not the one the bridge
 * wrote its token into — a new secret, a rotation's new version, a secret restored for a re-hire
 * after the account was closed — every session ends and a new token is minted into a new version.
 * A repeat finds its own version current and changes nothing, so it never logs a running agent out.
 *
 * Returns the secret version that now holds the account's token, for the record.
 */
export async function ensureAccount(
  deps: BridgeDeps,
  agentId: string,
  position: Position,
  appliedSecretVersionId: string | undefined,
  /** The agent has not been in its rooms yet (its account never became ready): see syncFrom. */
  firstSession: boolean,
  { logger }: WorkContext,
): Promise<{ appliedSecretVersionId: string }> {
  const { homeserver, secrets, naming } = deps;
  const userId = naming.agentUserId(agentId);

  let account = await homeserver.account(userId);
  if (account === undefined) {
    await homeserver.registerAgent(userId);
    account = { displayName: undefined };
    logger.info('chat account created', { matrixUserId: userId });
  }

  // Only AWSCURRENT counts: rotation events arrive in any order, the secret's labels do not.
  const secret = await secrets.current(agentId);
  let applied = secret.versionId;
  if (secret.versionId !== appliedSecretVersionId || secret.value.matrix?.accessToken === undefined) {
    const accessToken = await homeserver.issueAccessToken(userId, AGENT_DEVICE_ID);
    // The first session, before the agent is in any room: where its sync stream is now comes
    // before every message anybody can send it, so its first gateway starts from there and
    // answers what it was sent before it ever ran (ADR 0028). A re-mint keeps the position the
    // current version holds (a rotation's version holds none: known gap, the ADR says).
    const syncFrom = firstSession
      ? await homeserver.syncPosition(userId, accessToken)
      : secret.value.matrix?.syncFrom;
    applied = await secrets.addMatrixToken(agentId, secret, {
      accessToken,
      deviceId: AGENT_DEVICE_ID,
      ...(syncFrom === undefined ? {} : { syncFrom }),
    });
    logger.info('chat access token issued into the secret', {
      matrixUserId: userId,
      basedOnVersionId: secret.versionId,
      secretVersionId: applied,
      syncFrom: syncFrom ?? null,
    });
  }

  const wanted = displayName(position);
  if (account.displayName !== wanted) await homeserver.setDisplayName(userId, wanted);

  return { appliedSecretVersionId: applied };
}

/** Nothing of the agent stays able to use the account. False when there never was an account. */
export async function closeAccount(
  deps: BridgeDeps,
  agentId: string,
  { logger }: WorkContext,
): Promise<boolean> {
  const userId = deps.naming.agentUserId(agentId);
  const account = await deps.homeserver.account(userId);
  if (account === undefined) return false;
  await deps.homeserver.closeAccount(userId);
  logger.info('chat account closed', { matrixUserId: userId });
  return true;
}
