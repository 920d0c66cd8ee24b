/**
 * The world of the benches that replace the homeserver by a sink (bench:internal, bench:scale):
 * the real gateway, simulated users and the sink (homeserver-sink.ts) in this process, the real
 * bridge as a child process (`node dist/src/cli.js -c config.yaml`, so its CPU time and memory
 * are its own), Alice logged in through the bot as the homeserver would push it, and `chats`
 * contacts that wrote first and whose requests Alice accepted, each with its portal.
 * The sink accepts anything: nothing built on this is evidence of correctness.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { BridgeConfig } from '../src/config/types';
import type { ContentPart } from '../src/protocol/content';
import { SimUser } from '../src/sim/sim-user';
import { localBridgeConfig, startBridgeProcess } from '../tests/helpers/bridge-process';
import { PROVIDER_SECRETS, startTestGateway, type TestGatewayHandle } from '../tests/helpers/interop-gateway';
import { bridgeNodeArgs } from './bridged-env';
import { Arrivals } from './flow';
import { roomEvent, startHomeserverSink, type HomeserverSink, type SentEvent } from './homeserver-sink';

export const SERVER = 'localhost';
export const ALICE = `@alice:${SERVER}`;
export const ALICE_PHONE = '+4915112345678';

/** What a phone shows of a remote message's text parts. */
export const textOf = (parts: ContentPart[] | undefined) => (parts ?? []).map((p) => (p.type === 'text' ? p.body : '')).join('\n');
const bodyText = (c: Record<string, unknown>) => (typeof c.body === 'string' ? c.body : undefined);

export interface InternalWorld {
  dir: string;
  gateway: TestGatewayHandle;
  sink: HomeserverSink;
  config: BridgeConfig;
  botUserId: string;
  bridgePid: number;
  /** every message body seen arriving at either end (the sink's sends, the sims' messages) */
  arrivals: Arrivals;
  /** one per contact, in order; `portal` is its room as the bridge named it to the sink */
  chats: Array<{ sim: SimUser; portal: string }>;
  /** Alice says `body` in `roomId` (a transaction the sink pushes) */
  say(roomId: string, body: string): Promise<void>;
  newSim(phone: string): Promise<SimUser>;
  stop(): Promise<void>;
}

export interface InternalWorldOptions {
  /** contacts with a portal, each made the way a user makes one (request, accept) */
  chats: number;
  /** runs on the bridge's config (and its database path) before the bridge starts */
  beforeStart?: (config: BridgeConfig) => void | Promise<void>;
  /** after the bridge listens, before Alice logs in (to read its memory with no users, say) */
  afterStart?: (bridgePid: number) => void | Promise<void>;
}

export async function startInternalWorld(options: InternalWorldOptions): Promise<InternalWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-internal-'));
  const cleanups: Array<() => Promise<unknown> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const sims: SimUser[] = [];
  const stop = async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  };
  cleanups.push(async () => { for (const s of sims) await s.close().catch(() => undefined); });
  try {
    const gateway = await startTestGateway();
    cleanups.push(() => gateway.close());
    const config = await localBridgeConfig(dir, gateway.url, SERVER);
    config.logging.level = (process.env.BRIDGE_LOG as typeof config.logging.level | undefined) ?? 'error';
    const registration = parse(readFileSync(config.appservice.registration, 'utf8')) as { as_token: string; hs_token: string };
    const botUserId = `@${config.appservice.bot_username}:${SERVER}`;
    const sink = await startHomeserverSink({
      serverName: SERVER, asToken: registration.as_token, hsToken: registration.hs_token, botUserId, appserviceUrl: config.appservice.url,
    });
    cleanups.push(() => sink.close());
    const waiters: Array<(e: SentEvent) => boolean> = [];
    const arrivals = new Arrivals();
    sink.onSend((e) => {
      const i = waiters.findIndex((w) => w(e));
      if (i >= 0) waiters.splice(i, 1);
      if (e.type === 'm.room.message' && e.sender !== botUserId) arrivals.seen(bodyText(e.content));
    });
    config.homeserver.url = sink.url;
    await options.beforeStart?.(config);
    const bridge = await startBridgeProcess({ dir, config, nodeArgs: bridgeNodeArgs() });
    cleanups.push(() => bridge.stop());
    const bridgePid = bridge.pid as number;
    await options.afterStart?.(bridgePid);

    const next = (match: (e: SentEvent) => boolean, what: string) => nextSend(sink, waiters, match, what);
    const mgmt = `!mgmt:${SERVER}`;
    const botSays = (pattern: RegExp) => (e: SentEvent) => e.roomId === mgmt && e.sender === botUserId && pattern.test(bodyText(e.content) ?? '');
    const say = async (roomId: string, body: string) => sink.push([roomEvent(SERVER, roomId, ALICE, 'm.room.message', { msgtype: 'm.text', body })]);
    const newSim = async (phone: string) => {
      const sim = await SimUser.create({
        url: gateway.url, phone, provider: 'native', secret: PROVIDER_SECRETS.native, dataDir: gateway.dir,
        preKeyBatch: 20, kyberPreKeyBatch: 5, codeProvider: (p) => gateway.codes.next(p),
      });
      sims.push(sim);
      await sim.register();
      return sim;
    };

    // Alice's management room and login, pushed as the homeserver would
    let reply = next(botSays(/management room/), 'greeting');
    await sink.push([roomEvent(SERVER, mgmt, ALICE, 'm.room.member', { membership: 'invite', is_direct: true }, botUserId)]);
    await reply;
    reply = next(botSays(/code/i), 'code prompt');
    await say(mgmt, `login ${ALICE_PHONE}`);
    await reply;
    reply = next(botSays(/Logged in as/), 'login confirmation');
    await say(mgmt, await gateway.codes.next(ALICE_PHONE));
    await reply;

    // portals: each sim writes first, Alice accepts the request, the bridge creates the room
    const chats: InternalWorld['chats'] = [];
    for (let i = 0; i < options.chats; i++) {
      const phone = `+1415555${2680 + i}`;
      const sim = await newSim(phone);
      const request = next(botSays(/^📨 Message request from /), 'message request');
      await sim.sendText(ALICE_PHONE, 'hello');
      await request;
      const hello = next((e) => e.sender !== botUserId && bodyText(e.content) === 'hello', 'first message in the portal');
      await say(mgmt, `accept ${phone}`);
      chats.push({ sim, portal: (await hello).roomId });
      sim.on('message', (m) => {
        if (m.sender.phone !== ALICE_PHONE || m.content.kind !== 'message') return;
        arrivals.seen(textOf(m.content.parts));
      });
    }
    return { dir, gateway, sink, config, botUserId, bridgePid, arrivals, chats, say, newSim, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resolves with the first send the bridge makes that `match` accepts (after this call). */
function nextSend(sink: HomeserverSink, waiters: Array<(e: SentEvent) => boolean>, match: (e: SentEvent) => boolean, what: string): Promise<SentEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bridge sent no ${what} within 30 s (unknown calls: ${[...sink.unknown.keys()].join(', ') || 'none'})`)), 30_000);
    waiters.push((e) => {
      if (!match(e)) return false;
      clearTimeout(timer);
      resolve(e);
      return true;
    });
  });
}
