// Helpers for the end-to-end security tests: simulated people who can reinstall their app
// (a new Signal identity key under the same number), the security room state of a portal,
// the hop trail of an event, and the bot's notices in a window of the timeline.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { keyFingerprint } from '../../src/interop-client/signal/sessions';
import { SignalDatabase } from '../../src/interop-client/signal/sqlite-database';
import { HOP_TRAIL_KEY, SECURITY_STATE_TYPE, SECURITY_SUMMARY_KEY } from '../../src/security/namespace';
import type { SimUser, SimUserOptions } from '../../src/sim/sim-user';
import { newSim, roomState, type InteropEnv } from './interop-env';
import { MatrixClient, type MatrixEvent, type SeenEvent } from './matrix-client';
import { readRegistration } from '../../src/registration/read';

/** the Signal key database of each sim made here, so its own identity key can be read */
const databaseFiles = new WeakMap<SimUser, string>();

export interface SimSpec {
  phone: string;
  /** 'native' (end-to-end encrypted) or 'plainchat' (no end-to-end encryption) */
  provider: string;
  displayName?: string;
}

/** A registered sim whose database file is known (a fresh file: a fresh identity key). */
export async function installSim(env: InteropEnv, spec: SimSpec, opts: Partial<SimUserOptions> = {}): Promise<SimUser> {
  const file = join(env.gateway.dir, `sim-${spec.phone.replace(/\W/g, '')}-${randomBytes(4).toString('hex')}.db`);
  const sim = await newSim(env, spec.phone, spec.provider, {
    ...(spec.displayName ? { displayName: spec.displayName } : {}),
    ...opts,
    databaseFile: file,
  });
  databaseFiles.set(sim, file);
  return sim;
}

/**
 * The person reinstalls the app: the old install is closed, a new one registers the same
 * number with a new identity key (the network gives it a new device id), and the old device
 * is removed, as the interop-client identity-change tests do.
 */
export async function reinstallSim(env: InteropEnv, old: SimUser, spec: SimSpec, opts: Partial<SimUserOptions> = {}): Promise<SimUser> {
  const oldDevice = old.deviceId;
  await old.close();
  const index = env.sims.indexOf(old);
  if (index >= 0) env.sims.splice(index, 1);
  const fresh = await installSim(env, spec, opts);
  if (oldDevice !== undefined && oldDevice !== fresh.deviceId) {
    await fresh.connection.request('device.remove', { phone: spec.phone, deviceId: oldDevice });
  }
  return fresh;
}

/** Fingerprint of the sim's own identity key, computed as the bridge computes it. */
export async function ownFingerprint(sim: SimUser): Promise<string> {
  const file = databaseFiles.get(sim);
  if (!file) throw new Error(`${sim.phone}: not made with installSim, its database is unknown`);
  const db = new SignalDatabase(file);
  try {
    const local = await db.forAccount(sim.phone).local.load();
    if (!local) throw new Error(`${sim.phone}: no local identity`);
    return await keyFingerprint(local.identityKeyPair.publicKey);
  } finally {
    db.close();
  }
}

/** The safety number between the sim and `peer`, from the sim's side (one device). */
export async function simSafetyNumber(sim: SimUser, peer: string): Promise<string> {
  const numbers = await sim.safetyNumbers(peer);
  if (numbers.length !== 1) throw new Error(`${sim.phone}: expected one safety number with ${peer}, got ${numbers.length}`);
  return numbers[0].safetyNumber;
}

export interface PortalSecurityState {
  summary: Record<string, unknown> | undefined;
  mBridge: Record<string, unknown> | undefined;
  halfShot: Record<string, unknown> | undefined;
}

/** The three security-related state events of a portal (undefined where absent). */
export async function portalSecurityState(client: MatrixClient, roomId: string, bridgeStateKey: string): Promise<PortalSecurityState> {
  const state = await roomState(client, roomId);
  const find = (type: string, key: string) => state.find((e) => e.type === type && e.state_key === key)?.content;
  return {
    summary: find(SECURITY_STATE_TYPE, ''),
    mBridge: find('m.bridge', bridgeStateKey),
    halfShot: find('uk.half-shot.bridge', bridgeStateKey),
  };
}

/** The summary embedded in an m.bridge / uk.half-shot.bridge content. */
export function embeddedSummary(content: Record<string, unknown> | undefined): unknown {
  return content?.[SECURITY_SUMMARY_KEY];
}

/** The raw hop trail of an event (whatever is under the namespaced key). */
export function trailOf(event: MatrixEvent): unknown {
  return event.content[HOP_TRAIL_KEY];
}

/** Timeline events in `roomId` seen by `client` from `after` on. */
export function timelineSince(client: MatrixClient, roomId: string, after: number): MatrixEvent[] {
  return client.seen.slice(after).filter((e) => e.roomId === roomId && e.section === 'timeline').map((e) => e.event);
}

/** Bodies of the m.notice messages `bot` sent in `roomId` from `after` on, in order. */
export function noticesSince(client: MatrixClient, roomId: string, bot: string, after: number): string[] {
  return timelineSince(client, roomId, after)
    .filter((e) => e.sender === bot && e.type === 'm.room.message' && e.content.msgtype === 'm.notice')
    .map((e) => String(e.content.body));
}

/** Predicate: any timeline event of `type` from `sender` in `roomId`. */
export const eventFrom = (roomId: string, sender: string, type: string) => (e: SeenEvent) =>
  e.roomId === roomId && e.section === 'timeline' && e.event.type === type && e.event.sender === sender;

/** Predicate: an m.notice from `bot` whose body is exactly `body`. */
export const noticeIs = (roomId: string, bot: string, body: string) => (e: SeenEvent) =>
  eventFrom(roomId, bot, 'm.room.message')(e) && e.event.content.msgtype === 'm.notice' && e.event.content.body === body;

/** A fake Megolm event: the bridge cannot read it anyway, the ciphertext need not be real. */
export function fakeMegolmContent(): Record<string, unknown> {
  return {
    algorithm: 'm.megolm.v1.aes-sha2',
    ciphertext: randomBytes(48).toString('base64'),
    sender_key: randomBytes(32).toString('base64').replace(/=+$/, ''),
    session_id: randomBytes(32).toString('base64').replace(/=+$/, ''),
    device_id: 'TESTDEVICE',
  };
}

/** Power needed to send m.room.encryption in a room, and the power `userId` has there. */
export async function encryptionPower(client: MatrixClient, roomId: string, userId: string): Promise<{ needed: number; has: number }> {
  const pl = await client.getState<{ events?: Record<string, number>; state_default?: number; users?: Record<string, number>; users_default?: number }>(
    roomId, 'm.room.power_levels');
  return { needed: pl.events?.['m.room.encryption'] ?? pl.state_default ?? 50, has: pl.users?.[userId] ?? pl.users_default ?? 0 };
}

/**
 * Lets `userId` turn on encryption in a portal: the bridge bot (acting through the
 * appservice token) lowers the power needed for m.room.encryption to the user's level.
 * Tests use it where the portal's power levels would not let the user do it themselves.
 */
export async function letUserEncrypt(env: InteropEnv, roomId: string, userId: string): Promise<void> {
  const asToken = readRegistration(env.config.appservice.registration).as_token;
  const bot = new MatrixClient(env.bridgeEnv.hs.url, asToken, env.botUserId, true);
  const pl = await bot.getState<Record<string, unknown> & { events?: Record<string, number>; users?: Record<string, number> }>(roomId, 'm.room.power_levels');
  const level = pl.users?.[userId] ?? 0;
  await bot.sendState(roomId, 'm.room.power_levels', '', { ...pl, events: { ...pl.events, 'm.room.encryption': level } });
}
