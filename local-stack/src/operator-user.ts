import { createHmac, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

/**
 * The fleet's human operator on the local homeserver: `@ceo:<server>`, the user the bridge
 * invites to every org room (BRIDGE_CEO_USER_ID). `fleet up` registers it once, through Synapse's
 * shared-secret registration, with a random password kept in an owner-only file; the web console
 * signs in with it to talk to agents. The password is never printed, only where it is.
 */
export async function ensureOperatorUser(options: {
  readonly homeserverUrl: string;
  readonly registrationSharedSecret: string;
  readonly localpart: string;
  readonly passwordFile: string;
}): Promise<'registered' | 'exists' | 'exists-without-password'> {
  const known = await readFile(options.passwordFile, 'utf8').catch(() => undefined);
  const endpoint = `${options.homeserverUrl}/_synapse/admin/v1/register`;
  const nonceResponse = await fetch(endpoint);
  if (!nonceResponse.ok)
    throw new Error(`registering the operator: nonce request answered ${nonceResponse.status}`);
  const { nonce } = (await nonceResponse.json()) as { nonce: string };
  const password = randomBytes(18).toString('base64url');
  const mac = createHmac('sha1', options.registrationSharedSecret)
    .update([nonce, options.localpart, password, 'notadmin'].join('\0'))
    .digest('hex');
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, username: options.localpart, password, admin: false, mac }),
  });
  if (response.ok) {
    await writeFile(options.passwordFile, `${password}\n`, { mode: 0o600 });
    return 'registered';
  }
  const body = (await response.json().catch(() => ({}))) as { errcode?: string };
  if (body.errcode === 'M_USER_IN_USE') return known === undefined ? 'exists-without-password' : 'exists';
  throw new Error(`registering the operator @${options.localpart}: ${response.status} ${body.errcode ?? ''}`);
}
