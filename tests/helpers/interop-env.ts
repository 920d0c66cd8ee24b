// The whole picture for end-to-end chat tests: the real interop gateway
// (production mode, codes captured as "SMS"), a real Synapse, the real bridge
// in-process logged into the gateway as provider `bridge`, and simulated remote
// people (SimUser) on the gateway's own providers. Plus the dialogues a person
// goes through: management room, login with a one-time code, portal invites.
import { randomBytes } from 'node:crypto';
import { readRegistration } from '../../src/registration/read';
import type { BridgeConfig } from '../../src/config/types';
import { SimUser, type SimUserOptions } from '../../src/sim/sim-user';
import { startBridgeEnv, TEST_SERVER_NAME, type BridgeEnv } from './bridge-env';
import { startTestGateway, PROVIDER_SECRETS, type TestGatewayHandle } from './interop-gateway';
import { clientFor, type MatrixClient, type MatrixEvent, type SeenEvent } from './matrix-client';
import { registerUser } from './synapse';
import { displayPhone, type E164 } from '../../src/network/phone';

export { TEST_SERVER_NAME };

export interface InteropEnv {
  gateway: TestGatewayHandle;
  /** Synapse + the bridge; `bridgeEnv.bridge` changes after stopBridge()/startBridge(). */
  bridgeEnv: BridgeEnv;
  config: BridgeConfig;
  botUserId: string;
  /** the registration's hs_token: what Synapse presents when it pushes transactions */
  hsToken: string;
  sims: SimUser[];
  /** Closes sims, the bridge, Synapse and the gateway; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * What the chat dialogues below need of a test world; an InteropEnv is one, and so is a world
 * whose bridge or gateway runs in a child process (tests/faults).
 */
export type ChatWorld = Pick<InteropEnv, 'gateway' | 'config' | 'botUserId' | 'sims'>;

export interface InteropEnvOptions {
  /** Further config changes (after the network settings are filled in). */
  adjust?: (config: BridgeConfig) => void;
  /** Extra homeserver.yaml settings for this test's Synapse. */
  synapseConfig?: Record<string, unknown>;
}

export async function startInteropEnv(opts: InteropEnvOptions = {}): Promise<InteropEnv> {
  const gateway = await startTestGateway();
  let bridgeEnv: BridgeEnv;
  try {
    bridgeEnv = await startBridgeEnv({
      permissions: { [TEST_SERVER_NAME]: 'user' },
      synapseConfig: opts.synapseConfig,
      adjust: (config) => {
        config.network.gateway_url = gateway.url;
        config.network.provider_id = 'bridge';
        config.network.provider_secret = PROVIDER_SECRETS.bridge;
        delete config.network.provider_secret_file;
        config.security.key_store_secret = randomBytes(24).toString('hex');
        delete config.security.key_store_secret_file;
        // BRIDGE_LOG=debug (or info) shows the bridge's log; quiet by default
        config.logging.level = (process.env.BRIDGE_LOG as BridgeConfig['logging']['level'] | undefined) ?? 'warn';
        opts.adjust?.(config);
      },
    });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  const sims: SimUser[] = [];
  let stopped = false;
  return {
    gateway,
    bridgeEnv,
    config: bridgeEnv.config,
    botUserId: bridgeEnv.botUserId,
    hsToken: readRegistration(bridgeEnv.config.appservice.registration).hs_token,
    sims,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const sim of sims.splice(0)) await sim.close().catch(() => undefined);
      await bridgeEnv.stop();
      await gateway.close();
    },
  };
}

/** A Matrix user on the test Synapse, with a client acting as them. */
export async function matrixUser(env: InteropEnv, localpart: string): Promise<MatrixClient> {
  return clientFor(env.bridgeEnv.hs.url, await registerUser(env.bridgeEnv.hs, localpart, `${localpart}-password`));
}

/** The ghost's user ID for a phone, from the configured template. */
export function ghostId(env: ChatWorld, phone: string): string {
  return `@${env.config.appservice.ghost_username_template.replace('{phone}', phone)}:${env.config.homeserver.domain}`;
}

/**
 * A simulated remote person, registered on the gateway with a code from the
 * captured "SMS". provider: `native` (e2ee) or `plainchat` (no e2ee).
 */
export async function newSim(
  env: ChatWorld, phone: string, provider = 'native', opts: Partial<SimUserOptions> = {},
): Promise<SimUser> {
  const sim = await SimUser.create({
    url: env.gateway.url,
    phone,
    provider,
    secret: PROVIDER_SECRETS[provider],
    dataDir: env.gateway.dir,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    preKeyBatch: 20,
    kyberPreKeyBatch: 5,
    codeProvider: (p) => env.gateway.codes.next(p),
    ...opts,
  });
  env.sims.push(sim);
  await sim.register();
  return sim;
}

const bodyOf = (e: MatrixEvent): string => (typeof e.content.body === 'string' ? e.content.body : '');

/** Predicate: an m.room.message from `sender` in `roomId` (timeline). */
export const messageFrom = (roomId: string, sender: string, body?: RegExp | string) => (e: SeenEvent) =>
  e.roomId === roomId && e.section === 'timeline' && e.event.type === 'm.room.message' && e.event.sender === sender
  && (body === undefined || (typeof body === 'string' ? bodyOf(e.event) === body : body.test(bodyOf(e.event))));

const membership = (roomId: string, userId: string, value: string) => (e: SeenEvent) =>
  e.roomId === roomId && e.section === 'timeline' && e.event.type === 'm.room.member'
  && e.event.state_key === userId && e.event.content.membership === value;

/** Opens a DM with the bridge bot and waits for its greeting; returns the room ID. */
export async function openManagementRoom(env: ChatWorld, client: MatrixClient): Promise<string> {
  const roomId = await client.createRoom({ invite: [env.botUserId], isDirect: true });
  await client.waitForEvent(membership(roomId, env.botUserId, 'join'), { timeoutMs: 20_000 });
  await client.waitForEvent(messageFrom(roomId, env.botUserId), { timeoutMs: 20_000 });
  return roomId;
}

/**
 * Sends `text` in the management room and returns the first bot message after
 * it whose body matches `expect` (any bot message when omitted).
 */
export async function botReply(
  env: ChatWorld, client: MatrixClient, roomId: string, text: string, expect?: RegExp, timeoutMs = 20_000,
): Promise<MatrixEvent> {
  const mark = await client.catchUp();
  await client.sendText(roomId, text);
  return (await client.waitForEvent(messageFrom(roomId, env.botUserId, expect), { after: mark, timeoutMs })).event;
}

export interface LoggedIn {
  managementRoom: string;
  /** the bot's "Logged in as …" notice */
  confirmation: MatrixEvent;
}

/**
 * The whole login dialogue: `login <phone>` in the management room, the code
 * the network "texts" to the phone typed back as a plain message.
 */
export async function loginMatrixUser(
  env: ChatWorld, client: MatrixClient, phone: string, managementRoom?: string,
): Promise<LoggedIn> {
  const room = managementRoom ?? (await openManagementRoom(env, client));
  await botReply(env, client, room, `login ${phone}`, /code/i);
  const code = await env.gateway.codes.next(phone);
  const confirmation = await botReply(env, client, room, code, /Logged in as/);
  return { managementRoom: room, confirmation };
}

/** Waits for an invite to `client` sent by `ghost`; returns the invite's member event and room. */
export async function waitForPortalInvite(
  client: MatrixClient, ghost: string, opts: { after?: number; timeoutMs?: number } = {},
): Promise<{ roomId: string; invite: MatrixEvent }> {
  const seen = await client.waitForEvent(
    (e) => e.section === 'invite' && e.event.type === 'm.room.member' && e.event.state_key === client.userId
      && e.event.sender === ghost && e.event.content.membership === 'invite',
    { timeoutMs: 20_000, ...opts },
  );
  return { roomId: seen.roomId, invite: seen.event };
}

/** Waits for the ghost's invite and joins the room; returns the room ID. */
export async function acceptPortalInvite(
  client: MatrixClient, ghost: string, opts: { after?: number; timeoutMs?: number } = {},
): Promise<string> {
  const { roomId } = await waitForPortalInvite(client, ghost, opts);
  await client.join(roomId);
  return roomId;
}

export interface Chat {
  /** the Matrix user's phone on the network (logged in through the bridge) */
  userPhone: string;
  sim: SimUser;
  ghost: string;
  portal: string;
  managementRoom: string;
}

/**
 * The common start of a chat test: `client` logs in as `userPhone`, a sim
 * `simPhone` writes first ("hello"), the user accepts the portal invite and
 * sees the hello from the ghost.
 */
/** Waits for the bot's notice of a message request from `phone` and accepts it. */
export async function acceptMessageRequest(
  env: ChatWorld, client: MatrixClient, managementRoom: string, phone: string, after?: number,
): Promise<MatrixEvent> {
  const shown = displayPhone(phone as E164).replace(/[+]/g, '\\+');
  await client.waitForEvent(messageFrom(managementRoom, env.botUserId, new RegExp(`Message request from ${shown}\\b`)), { after, timeoutMs: 30_000 });
  return botReply(env, client, managementRoom, `accept ${phone}`, /^Accepted /);
}

export async function startChatFromRemote(
  env: ChatWorld, client: MatrixClient, userPhone: string, simPhone: string, simOpts: Partial<SimUserOptions> = {},
): Promise<Chat> {
  const { managementRoom } = await loginMatrixUser(env, client, userPhone);
  const sim = await newSim(env, simPhone, simOpts.provider ?? 'native', simOpts);
  const ghost = ghostId(env, simPhone);
  const mark = await client.catchUp();
  await sim.sendText(userPhone, 'hello');
  // a number the user never wrote to is a message request until the user accepts it
  await acceptMessageRequest(env, client, managementRoom, simPhone, mark);
  const portal = await acceptPortalInvite(client, ghost, { after: mark, timeoutMs: 30_000 });
  await client.waitForEvent(messageFrom(portal, ghost, 'hello'), { timeoutMs: 20_000 });
  return { userPhone, sim, ghost, portal, managementRoom };
}

/** Text of a remote message's text parts, joined; undefined when it has none. */
export function remoteText(content: { kind: string; parts?: Array<{ type: string; body?: string }> }): string | undefined {
  if (content.kind !== 'message' || !content.parts) return undefined;
  const texts = content.parts.filter((p) => p.type === 'text').map((p) => p.body ?? '');
  return texts.length > 0 ? texts.join('\n') : undefined;
}

/** Waits until `sim` has received a message from `from` whose text equals `text`. */
export function simReceivesText(sim: SimUser, from: string, text: string, timeoutMs = 20_000) {
  return sim.waitFor('message', (m) => m.sender.phone === from && remoteText(m.content) === text, timeoutMs);
}

/**
 * The devices the network lists for `phone` (asked through `sim`'s connection,
 * as any provider may); [] when the network has no such account.
 */
export async function networkDevices(sim: SimUser, phone: string): Promise<Array<{ deviceId: number; bridged: boolean }>> {
  try {
    const result = await sim.connection.request('keys.fetch', { phone });
    return result.devices.map((d) => ({ deviceId: d.deviceId, bridged: d.attributes.bridged }));
  } catch (error) {
    if ((error as { code?: string }).code === 'account_not_found') return [];
    throw error;
  }
}

/** The full current state of a room the client has joined. */
export function roomState(client: MatrixClient, roomId: string): Promise<MatrixEvent[]> {
  return client.request<MatrixEvent[]>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`);
}

/** A user's global display name, or undefined when unset. */
export async function displayName(client: MatrixClient, userId: string): Promise<string | undefined> {
  const res = await client.request<{ displayname?: string }>('GET', `/_matrix/client/v3/profile/${encodeURIComponent(userId)}`);
  return res.displayname;
}
