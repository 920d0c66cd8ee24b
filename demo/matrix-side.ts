/**
 * The demo's Matrix user: registered on the first run (shared-secret registration, so the
 * homeserver needs no open sign-up), logged in with its password afterwards; then linked to
 * the bridge with the same dialogue a person has with the bot (login, one-time code).
 */
import { registerUser } from '../tests/helpers/synapse';
import { clientFor, type MatrixClient, type SeenEvent } from '../tests/helpers/matrix-client';
import { waitForLogLine, type Service } from './processes';
import type { DemoSetup } from './setup';

export const DEMO_LOCALPART = 'demo';

async function passwordLogin(url: string, user: string, password: string): Promise<{ userId: string; accessToken: string }> {
  const res = await fetch(`${url}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, initial_device_display_name: 'interop demo' }),
  });
  const body = (await res.json()) as { user_id?: string; access_token?: string; error?: string };
  if (!res.ok || !body.user_id || !body.access_token) throw new Error(`login as ${user} failed: ${res.status} ${body.error ?? ''}`);
  return { userId: body.user_id, accessToken: body.access_token };
}

/** The demo user's client: registered once, logged in on later runs. */
export async function demoUser(setup: DemoSetup): Promise<MatrixClient> {
  const hs = { url: setup.homeserverUrl, sharedSecret: setup.secrets.synapseSharedSecret };
  try {
    return clientFor(setup.homeserverUrl, await registerUser(hs, DEMO_LOCALPART, setup.secrets.matrixPassword));
  } catch (error) {
    if (!/M_USER_IN_USE/.test((error as Error).message)) throw error;
    return clientFor(setup.homeserverUrl, await passwordLogin(setup.homeserverUrl, DEMO_LOCALPART, setup.secrets.matrixPassword));
  }
}

const body = (e: SeenEvent) => (typeof e.event.content.body === 'string' ? e.event.content.body : '');

/** Sends `text` in `room` and waits for the bot's answer matching `expect`. */
async function ask(client: MatrixClient, bot: string, room: string, text: string, expect: RegExp): Promise<string> {
  const mark = await client.catchUp();
  await client.sendText(room, text);
  const reply = await client.waitForEvent((e) => e.roomId === room && e.event.sender === bot && expect.test(body(e)), { after: mark, timeoutMs: 60_000 });
  return body(reply);
}

/** Opens a management room with the bot and logs the user in with `phone`; returns the room. */
export async function linkPhone(client: MatrixClient, bot: string, phone: string, gateway: Service, gatewayLogOffset: () => number): Promise<string> {
  const room = await client.createRoom({ invite: [bot], isDirect: true, name: 'Interop bridge' });
  await client.waitForEvent((e) => e.roomId === room && e.event.sender === bot && e.event.type === 'm.room.message', { timeoutMs: 60_000 });
  const from = gatewayLogOffset();
  await ask(client, bot, room, `login ${phone}`, /code/i);
  // the development gateway prints the code it would have sent by SMS
  const code = await waitForLogLine(gateway, new RegExp(`verification code for \\${phone}: (\\d+)`), { from });
  await ask(client, bot, room, code, /Logged in as/);
  return room;
}

/** Waits for the bot's notice of a message request from `phone`, then accepts it. */
export async function acceptRequest(client: MatrixClient, bot: string, room: string, phone: string, after: number): Promise<void> {
  await client.waitForEvent((e) => e.roomId === room && e.event.sender === bot && body(e).startsWith('📨 Message request from '), { after, timeoutMs: 60_000 });
  await ask(client, bot, room, `accept ${phone}`, /^Accepted /);
}

/** Waits for the ghost's invite to a portal, joins it, and waits for `text` in it. */
export async function joinPortal(client: MatrixClient, ghost: string, text: string, after: number): Promise<string> {
  const invite = await client.waitForEvent(
    (e) => e.section === 'invite' && e.event.type === 'm.room.member' && e.event.state_key === client.userId && e.event.sender === ghost,
    { after, timeoutMs: 60_000 },
  );
  await client.join(invite.roomId);
  await client.waitForEvent((e) => e.roomId === invite.roomId && e.event.sender === ghost && body(e) === text, { timeoutMs: 60_000 });
  return invite.roomId;
}
