import { createHmac, randomBytes } from 'node:crypto';
import { MatrixClient } from 'matrix-bot-sdk';

/**
 * Creates a human user (the CEO, a test person) through Synapse's shared-secret admin
 * registration. matrix-bot-sdk has no API for this Synapse-specific endpoint, hence plain fetch:
 * GET a nonce, then POST the registration with an HMAC-SHA1 over nonce, user, password and role.
 */
export async function registerHuman(
  homeserverUrl: string,
  sharedSecret: string,
  username: string,
  options: { admin?: boolean } = {},
): Promise<{ userId: string; client: MatrixClient; password: string }> {
  const endpoint = `${homeserverUrl}/_synapse/admin/v1/register`;
  const nonceResponse = await fetch(endpoint);
  if (!nonceResponse.ok) throw new Error(`nonce request failed: ${nonceResponse.status}`);
  const { nonce } = (await nonceResponse.json()) as { nonce: string };
  const password = randomBytes(18).toString('base64url');
  const admin = options.admin ?? false;
  const mac = createHmac('sha1', sharedSecret)
    .update([nonce, username, password, admin ? 'admin' : 'notadmin'].join('\0'))
    .digest('hex');
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, username, password, admin, mac }),
  });
  const body = (await response.json()) as {
    user_id?: string;
    access_token?: string;
    errcode?: string;
    error?: string;
  };
  if (!response.ok || body.user_id === undefined || body.access_token === undefined) {
    throw new Error(
      `shared-secret registration of ${username} failed: ${response.status} ${body.errcode ?? ''} ${body.error ?? ''}`,
    );
  }
  return { userId: body.user_id, client: new MatrixClient(homeserverUrl, body.access_token), password };
}
