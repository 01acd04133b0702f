import { createHmac, randomBytes } from 'node:crypto';
import { MatrixClient, type Intent } from 'matrix-bot-sdk';
import type { Logger } from '@ocf/logging';
import type { SecretText } from '@ocf/secrets';
import { HomeserverError } from '../ports.ts';
import { callHomeserver, type CallPolicy } from './matrix-errors.ts';

export interface AdminAccessOptions {
  readonly homeserverUrl: string;
  /** The application service's bot: its token is the bridge's only standing credential. */
  readonly botIntent: Intent;
  /**
   * Synapse's registration shared secret, needed once per homeserver: to make the bot a server
   * admin the first time. Afterwards the bridge needs only its application-service token.
   */
  readonly registrationSharedSecret: SecretText | undefined;
  readonly policy: CallPolicy;
  readonly logger: Logger;
}

export interface AdminAccess {
  /** Resolves once the bot may use Synapse's admin API; promotes it the first time if it must. */
  ensure(): Promise<void>;
}

/**
 * Setting an agent's password and deactivating it need Synapse's admin API, which takes a server
 * admin's access token. The bridge makes its own bot (the application service's sender) that admin,
 * so that it holds one credential, not two (see ADR 0007):
 *
 * 1. the bot asks whether it is an admin already — from the second start on, it is, and that's all;
 * 2. otherwise the bot user is registered (the application service may always register its sender);
 * 3. a one-off admin is made through the shared-secret registration, with a random password that is
 *    never kept;
 * 4. it promotes the bot, then deactivates itself, which also ends its session.
 *
 * A crash between 3 and 4 leaves an admin account nobody can log in to (its password is gone).
 */
export function createAdminAccess(options: AdminAccessOptions): AdminAccess {
  const { botIntent, policy, logger } = options;
  const bot = botIntent.underlyingClient;
  let granted: Promise<void> | undefined;

  async function promoteBot(): Promise<void> {
    if (await callHomeserver('check admin rights', () => bot.adminApis.synapse.isSelfAdmin(), policy)) return;
    const secret = options.registrationSharedSecret;
    if (secret === undefined) {
      throw new HomeserverError(
        `${botIntent.userId} is not a server admin and MATRIX_REGISTRATION_SHARED_SECRET is not set; ` +
          'set it once so the bridge can make its bot an admin (ADR 0007)',
        { retryable: false },
      );
    }
    await callHomeserver('register the bot', () => botIntent.ensureRegistered(), policy);
    const oneOff = await registerOneOffAdmin(options.homeserverUrl, secret);
    const asOneOff = new MatrixClient(options.homeserverUrl, oneOff.accessToken);
    await callHomeserver(
      'promote the bot',
      () => asOneOff.adminApis.synapse.upsertUser(botIntent.userId, { admin: true }),
      policy,
    );
    await callHomeserver(
      'deactivate the one-off admin',
      // Synapse's deactivate endpoint has no matrix-bot-sdk API.
      () =>
        asOneOff.doRequest(
          'POST',
          `/_synapse/admin/v1/deactivate/${encodeURIComponent(oneOff.userId)}`,
          null,
          {
            erase: true,
          },
        ),
      policy,
    );
    logger.info('the bridge bot is now a server admin', {
      botUserId: botIntent.userId,
      oneOffAdmin: oneOff.userId,
    });
  }

  return {
    ensure() {
      granted ??= promoteBot().catch((error: unknown) => {
        granted = undefined; // the next call tries again
        throw error;
      });
      return granted;
    },
  };
}

/**
 * Synapse's shared-secret registration (`/_synapse/admin/v1/register`): a nonce, then the user with
 * an HMAC over nonce, name, password and role. matrix-bot-sdk has no API for it, hence fetch.
 */
async function registerOneOffAdmin(
  homeserverUrl: string,
  sharedSecret: SecretText,
): Promise<{ userId: string; accessToken: string }> {
  const endpoint = `${homeserverUrl}/_synapse/admin/v1/register`;
  const username = `fleet-bootstrap-${randomBytes(6).toString('hex')}`;
  const password = randomBytes(32).toString('base64url');
  const nonce = (await expectJson(await fetchOrFail(endpoint), 'shared-secret nonce'))['nonce'];
  if (typeof nonce !== 'string')
    throw new HomeserverError('shared-secret nonce missing', { retryable: true });
  const mac = createHmac('sha1', sharedSecret.reveal())
    .update([nonce, username, password, 'admin'].join('\0'))
    .digest('hex');
  const registered = await expectJson(
    await fetchOrFail(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nonce, username, password, admin: true, mac }),
    }),
    'shared-secret registration',
  );
  const userId = registered['user_id'];
  const accessToken = registered['access_token'];
  if (typeof userId !== 'string' || typeof accessToken !== 'string') {
    throw new HomeserverError('shared-secret registration answered without a user', { retryable: true });
  }
  return { userId, accessToken };
}

async function fetchOrFail(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw new HomeserverError(`no answer from ${new URL(url).pathname}`, { retryable: true, cause: error });
  }
}

async function expectJson(response: Response, what: string): Promise<Record<string, unknown>> {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const errcode = typeof body['errcode'] === 'string' ? body['errcode'] : undefined;
    // 403 here means a wrong shared secret: a configuration error, not worth retrying.
    throw new HomeserverError(`${what} failed: ${response.status} ${errcode ?? ''}`.trim(), {
      retryable: response.status >= 500 || response.status === 429,
      errcode,
      status: response.status,
    });
  }
  return body;
}
