/**
 * The benchmark's world: the real interop gateway (in this process, production mode, codes
 * captured as "SMS"), a real Synapse, and the real bridge as a CHILD PROCESS started the way
 * an admin starts it (`node dist/src/cli.js -c config.yaml`), so its memory (VmRSS) and CPU
 * time are its own and not mixed with the gateway's, the simulated users' or this process's.
 * Plus the dialogue a Matrix user goes through to log in.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BridgeConfig } from '../src/config/types';
import { generateRegistration, writeRegistration } from '../src/registration/generate';
import { SimUser } from '../src/sim/sim-user';
import { localBridgeConfig, startBridgeProcess } from '../tests/helpers/bridge-process';
import { startTestGateway, PROVIDER_SECRETS, type TestGatewayHandle } from '../tests/helpers/interop-gateway';
import { clientFor, type MatrixClient, type SeenEvent } from '../tests/helpers/matrix-client';
import { registerUser, startSynapse, type SynapseHandle } from '../tests/helpers/synapse';
import { synapseDatabase } from './synapse-database';

export interface BridgedEnv {
  dir: string;
  gateway: TestGatewayHandle;
  hs: SynapseHandle;
  config: BridgeConfig;
  botUserId: string;
  /** pid of the bridge child process */
  bridgePid: number;
  /** the database Synapse runs on: sqlite or postgres (BENCH_SYNAPSE_DB) */
  synapseDb: string;
  /** pid of Synapse (from its pid file), for CPU accounting */
  synapsePid: number | undefined;
  sims: SimUser[];
  stop(): Promise<void>;
}

/** BENCH_BRIDGE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the bridge child;
 *  BENCH_HEAP_SNAPSHOT=1 lets heapSnapshot() ask it for a heap snapshot. */
export function bridgeNodeArgs(): string[] {
  const args = (process.env.BENCH_BRIDGE_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  if (process.env.BENCH_HEAP_SNAPSHOT) args.push('--heapsnapshot-signal=SIGUSR2');
  return args;
}

/**
 * Has the bridge write a V8 heap snapshot into the bench's temp dir (needs BENCH_HEAP_SNAPSHOT=1
 * at start; keep the dir with BENCH_KEEP_DIR=1 to read it); resolves with its path.
 */
export async function heapSnapshot(env: BridgedEnv): Promise<string> {
  const before = new Set(readdirSync(env.dir));
  process.kill(env.bridgePid, 'SIGUSR2');
  for (let waited = 0; waited < 120_000; waited += 500) {
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(env.dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    // V8 writes the file in one go while the process is paused; a size that holds still means done
    if (file) {
      const size = () => statSync(join(env.dir, file)).size;
      const first = size();
      await new Promise((r) => setTimeout(r, 1000));
      if (size() === first && first > 0) return join(env.dir, file);
    }
  }
  throw new Error('the bridge wrote no heap snapshot within 120 s');
}

/** BENCH_SYNAPSE_CONFIG='{"user_directory":{"enabled":false}}' merges keys into homeserver.yaml (experiments). */
function synapseExtraConfig(): Record<string, unknown> | undefined {
  const text = process.env.BENCH_SYNAPSE_CONFIG;
  return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
}

/** `adjust` changes the bridge's config before it starts (the registration is written anew after it). */
export async function startBridgedEnv(adjust?: (config: BridgeConfig) => void): Promise<BridgedEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-bench-'));
  // BENCH_KEEP_DIR=1 keeps the dir (Synapse's log with per-request timings, bridge.db) for a post-mortem
  const cleanups: Array<() => Promise<void> | void> = [() => {
    if (process.env.BENCH_KEEP_DIR) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }];
  const sims: SimUser[] = [];
  const stop = async () => {
    for (const sim of sims.splice(0)) await sim.close().catch(() => undefined);
    while (cleanups.length > 0) await cleanups.pop()!();
  };
  try {
    const gateway = await startTestGateway();
    cleanups.push(() => gateway.close());

    const config = await localBridgeConfig(dir, gateway.url);
    // 1,000 start-chats with numbers the network does not know each log a warning; keep the bench readable
    config.logging.level = (process.env.BRIDGE_LOG as BridgeConfig['logging']['level'] | undefined) ?? 'error';
    if (adjust) {
      adjust(config);
      writeRegistration(config.appservice.registration, generateRegistration(config, config.appservice.url));
    }
    const database = synapseDatabase();
    cleanups.push(() => database.drop());
    const hs = await startSynapse({
      registrationFiles: [config.appservice.registration], dir: join(dir, 'synapse'), serverName: 'localhost',
      extraConfig: { ...(database.config && { database: database.config }), ...synapseExtraConfig() },
    });
    cleanups.push(() => hs.stop());
    config.homeserver.url = hs.url;

    // the CLI stops cleanly on SIGTERM (and writes a CPU profile if asked)
    const bridge = await startBridgeProcess({ dir, config, nodeArgs: bridgeNodeArgs() });
    cleanups.push(() => bridge.stop());
    const synapsePid = findProcess(join(hs.dir, 'homeserver.yaml'));
    return {
      dir, gateway, hs, config, sims, synapsePid, synapseDb: database.kind,
      botUserId: `@${config.appservice.bot_username}:localhost`,
      bridgePid: bridge.pid as number,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The pid of the process whose command line mentions `needle` (Synapse's config path); /proc only. */
function findProcess(needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) return Number(entry);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}

/** A Matrix user on the bench's Synapse. */
export async function matrixUser(env: BridgedEnv, localpart: string): Promise<MatrixClient> {
  return clientFor(env.hs.url, await registerUser(env.hs, localpart, `${localpart}-password`));
}

/** A simulated remote person on the gateway's end-to-end encrypted `native` provider. */
export async function newSim(env: BridgedEnv, phone: string): Promise<SimUser> {
  const sim = await SimUser.create({
    url: env.gateway.url,
    phone,
    provider: 'native',
    secret: PROVIDER_SECRETS.native,
    dataDir: env.gateway.dir,
    preKeyBatch: 20,
    kyberPreKeyBatch: 5,
    codeProvider: (p) => env.gateway.codes.next(p),
  });
  env.sims.push(sim);
  await sim.register();
  return sim;
}

export const bodyOf = (e: SeenEvent): string => (typeof e.event.content.body === 'string' ? e.event.content.body : '');

/** The body of a bot message in `roomId`'s timeline; undefined for any other event. */
export function botMessageBody(env: BridgedEnv, roomId: string, e: SeenEvent): string | undefined {
  const isBot = e.roomId === roomId && e.section === 'timeline' && e.event.type === 'm.room.message' && e.event.sender === env.botUserId;
  return isBot ? bodyOf(e) : undefined;
}

const botMessage = (env: BridgedEnv, roomId: string, pattern?: RegExp) => (e: SeenEvent) => {
  const body = botMessageBody(env, roomId, e);
  return body !== undefined && (pattern === undefined || pattern.test(body));
};

/** Sends `text` to the bot and waits for its reply matching `expect`. */
export async function botReply(env: BridgedEnv, client: MatrixClient, roomId: string, text: string, expect: RegExp): Promise<void> {
  const mark = await client.catchUp();
  await client.sendText(roomId, text);
  await client.waitForEvent(botMessage(env, roomId, expect), { after: mark, timeoutMs: 30_000 });
}

/** Management room, `login <phone>`, the one-time code typed back; returns the management room. */
export async function loginMatrixUser(env: BridgedEnv, client: MatrixClient, phone: string): Promise<string> {
  const room = await client.createRoom({ invite: [env.botUserId], isDirect: true });
  await client.waitForEvent(botMessage(env, room), { timeoutMs: 30_000 });
  await botReply(env, client, room, `login ${phone}`, /code/i);
  await botReply(env, client, room, await env.gateway.codes.next(phone), /Logged in as/);
  return room;
}

/**
 * A chat as it starts in real life: the sim `phone` writes first, the user accepts the message
 * request, the bridge creates the portal and invites the user, who joins and sees the message. Returns the sim and the portal room.
 */
export async function openChat(
  env: BridgedEnv, client: MatrixClient, managementRoom: string, userPhone: string, phone: string,
): Promise<{ sim: SimUser; portal: string }> {
  const sim = await newSim(env, phone);
  const ghost = `@${env.config.appservice.ghost_username_template.replace('{phone}', phone)}:${env.config.homeserver.domain}`;
  const mark = await client.catchUp();
  await sim.sendText(userPhone, 'hello');
  // a first message from a number the user never wrote to is a message request: accept it
  await client.waitForEvent(botMessage(env, managementRoom, /^📨 Message request from /), { after: mark, timeoutMs: 30_000 });
  await botReply(env, client, managementRoom, `accept ${phone}`, /^Accepted /);
  const invite = await client.waitForEvent(
    (e) => e.section === 'invite' && e.event.type === 'm.room.member' && e.event.state_key === client.userId && e.event.sender === ghost,
    { after: mark, timeoutMs: 30_000 },
  );
  await client.join(invite.roomId);
  await client.waitForEvent(
    (e) => e.roomId === invite.roomId && e.section === 'timeline' && e.event.sender === ghost && bodyOf(e) === 'hello',
    { timeoutMs: 30_000 },
  );
  return { sim, portal: invite.roomId };
}

/** Memory of a process from /proc/<pid>/status, in MB: resident now and the peak (high-water mark). */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN when unknown. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100) ticks
  } catch {
    return NaN;
  }
}
