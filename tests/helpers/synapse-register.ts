// Creates Matrix users on the test Synapse through its shared-secret admin
// registration API (/_synapse/admin/v1/register): the nonce-then-MAC flow that
// works with open registration turned off, no admin user needed first.
import { createHmac } from 'node:crypto';

export interface RegisteredUser {
  userId: string;
  accessToken: string;
  deviceId: string;
}

export interface SharedSecretServer {
  url: string;
  sharedSecret: string;
}

export async function registerUser(
  hs: SharedSecretServer, localpart: string, password: string, admin = false,
): Promise<RegisteredUser> {
  const endpoint = `${hs.url}/_synapse/admin/v1/register`;
  const nonceRes = await fetch(endpoint);
  if (!nonceRes.ok) throw new Error(`registerUser: GET nonce failed: ${nonceRes.status} ${await nonceRes.text()}`);
  const { nonce } = (await nonceRes.json()) as { nonce: string };
  // The MAC the API defines: HMAC-SHA1 keyed with the shared secret over
  // nonce, user, password and admin flag, NUL-separated.
  const mac = createHmac('sha1', hs.sharedSecret)
    .update([nonce, localpart, password, admin ? 'admin' : 'notadmin'].join('\0'))
    .digest('hex');
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nonce, username: localpart, password, admin, mac }),
  });
  const body = (await res.json()) as { user_id?: string; access_token?: string; device_id?: string; errcode?: string; error?: string };
  if (!res.ok || !body.user_id || !body.access_token) {
    throw new Error(`registerUser ${localpart}: ${res.status} ${body.errcode ?? ''} ${body.error ?? JSON.stringify(body)}`);
  }
  return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id ?? '' };
}
