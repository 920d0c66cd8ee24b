/**
 * The fault-injection suite's world: a real Synapse (restartable on the same port and data),
 * the real gateway as its own process, and the real bridge as its own process
 * (`dist/src/cli.js -c config.yaml`), so `kill -9`, SIGSTOP and restarts are real. The
 * bridge's stdout/stderr go to `bridge.log` in the scenario's temp dir; its tail is printed
 * when a scenario fails. One world per scenario: a fault never leaks into the next one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BridgeConfig, DeliveryConfig, LoggingConfig } from '../../src/config/types';
import type { SimUser } from '../../src/sim/sim-user';
import { generateRegistration, writeRegistration } from '../../src/registration/generate';
import { localBridgeConfig, startBridgeProcess, type BridgeProcess } from '../helpers/bridge-process';
import { startGatewayProcess, type GatewayProcessHandle } from '../helpers/gateway-process';
import { startChatFromRemote, type ChatWorld } from '../helpers/interop-env';
import { clientFor, type MatrixClient } from '../helpers/matrix-client';
import { registerUser, startSynapse, type SynapseHandle } from '../helpers/synapse';
import { seededRandom } from '../helpers/seeded-random';
import { describeTally, randomPoints, sleep, suiteSeed, type Tally } from './streams';

export const ALICE_PHONE = '+4915112345678';
export const SAM_PHONE = '+14155552671';

/** Short retry delays, so an outage is recovered from within a second of its end. */
export const FAST_DELIVERY: DeliveryConfig = {
  retry_initial_ms: 100,
  retry_max_ms: 500,
  max_age_seconds: 86_400,
  delayed_after_ms: 10_000,
  unreadable_notice_window_ms: 60_000,
};

export interface FaultWorld extends ChatWorld {
  name: string;
  dir: string;
  gateway: GatewayProcessHandle;
  hs: SynapseHandle;
  bridge: BridgeProcess;
  config: BridgeConfig;
  /** exits of the bridge that nobody asked for, in order ("code 1", "signal SIGABRT") */
  bridgeCrashes: string[];
  /** the last `lines` lines of the bridge's log */
  bridgeLogTail(lines?: number): string;
  stop(): Promise<void>;
}

export interface FaultWorldOptions {
  delivery?: Partial<DeliveryConfig>;
  /** the bridge's logging settings; BRIDGE_LOG does not change a level given here */
  logging?: Partial<LoggingConfig>;
  /** 'debug': the gateway writes its debug log to gateway-data/gateway.log */
  gatewayLog?: 'debug';
  /** further config changes, made last */
  adjust?: (config: BridgeConfig) => void;
}

export async function startFaultWorld(name: string, opts: FaultWorldOptions = {}): Promise<FaultWorld> {
  const dir = mkdtempSync(join(tmpdir(), `faults-${name}-`));
  const cleanups: Array<() => Promise<void> | void> = [() => {
    // KEEP_FAULTS_DIR=1 keeps the dir (bridge.log, Synapse's log, databases) for a post-mortem
    if (process.env.KEEP_FAULTS_DIR) console.log(`${name}: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }];
  const sims: SimUser[] = [];
  const stop = async () => {
    for (const sim of sims.splice(0)) await sim.close().catch(() => undefined);
    while (cleanups.length > 0) await cleanups.pop()!();
  };
  try {
    const gateway = await startGatewayProcess({ dir: join(dir, 'gateway-data'), ...(opts.gatewayLog ? { log: opts.gatewayLog } : {}) });
    cleanups.push(() => gateway.close());
    const config = await localBridgeConfig(dir, gateway.url);
    config.bridge.delivery = { ...FAST_DELIVERY, ...opts.delivery };
    // BRIDGE_LOG=debug for more; the log goes to a file either way
    config.logging.level = (process.env.BRIDGE_LOG as BridgeConfig['logging']['level'] | undefined) ?? 'info';
    Object.assign(config.logging, opts.logging);
    opts.adjust?.(config);
    // what adjust changed may change the registration (security.encryption asks for MSC keys)
    writeRegistration(config.appservice.registration, generateRegistration(config, config.appservice.url));
    const hs = await startSynapse({ registrationFiles: [config.appservice.registration], dir: join(dir, 'synapse'), serverName: 'localhost' });
    cleanups.push(() => hs.stop());
    config.homeserver.url = hs.url;
    const logPath = join(dir, 'bridge.log');
    const bridge = await startBridgeProcess({ dir, config, logPath });
    cleanups.push(() => bridge.stop());
    const bridgeCrashes: string[] = [];
    bridge.onUnexpectedExit((code, signal) => {
      bridgeCrashes.push(signal ? `signal ${signal}` : `code ${code}`);
    });
    return {
      name, dir, gateway, hs, bridge, config, sims, bridgeCrashes,
      botUserId: `@${config.appservice.bot_username}:${config.homeserver.domain}`,
      bridgeLogTail: (lines = 60) => tailOf(logPath, lines),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function tailOf(path: string, lines: number): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').split('\n').slice(-lines - 1).join('\n');
}

export interface FaultChat {
  alice: MatrixClient;
  sam: SimUser;
  ghost: string;
  portal: string;
  /** Alice's chat with the bridge bot */
  managementRoom: string;
}

/** Alice (Matrix) logs in as ALICE_PHONE; Sam (a sim on the native provider) writes first; Alice joins the portal. */
export async function openFaultChat(world: FaultWorld): Promise<FaultChat> {
  const alice = clientFor(world.hs.url, await registerUser(world.hs, 'alice', 'alice-password'));
  // streams of hundreds of messages: one /sync must be able to return all of them
  alice.timelineLimit = 1000;
  const chat = await startChatFromRemote(world, alice, ALICE_PHONE, SAM_PHONE);
  return { alice, sam: chat.sim, ghost: chat.ghost, portal: chat.portal, managementRoom: chat.managementRoom };
}

/**
 * Runs one scenario in a fresh world: opens the chat, runs `body`, prints the bridge log's tail
 * when anything failed, and always tears the world down.
 */
export async function withFaultWorld(
  name: string, opts: FaultWorldOptions, body: (world: FaultWorld, chat: FaultChat) => Promise<void>,
): Promise<void> {
  const started = Date.now();
  const world = await startFaultWorld(name, opts);
  try {
    const chat = await openFaultChat(world);
    console.log(`${name}: world ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${world.dir})`);
    await body(world, chat);
  } catch (error) {
    console.log(`${name}: FAILED; bridge log (${join(world.dir, 'bridge.log')}) ends with:\n${world.bridgeLogTail(80)}`);
    if (world.bridgeCrashes.length > 0) console.log(`${name}: the bridge exited on its own: ${world.bridgeCrashes.join(', ')}`);
    throw error;
  } finally {
    console.log(`${name}: took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await world.stop();
  }
}

/**
 * The verdict of one stream: prints the counts, then asserts 0 lost, 0 duplicated, 0 out of order,
 * and (for scenarios that must recover without a restart) that the first bridge process is still the one running.
 */
export function assertDelivered(world: FaultWorld, label: string, t: Tally, opts: { unsent?: number[]; noRestart?: boolean } = {}): void {
  console.log(describeTally(`${world.name} ${label}`, t));
  if (opts.unsent && opts.unsent.length > 0) console.log(`${world.name} ${label}: ${opts.unsent.length} not handed over by the sender (not counted)`);
  const problems: string[] = [];
  if (t.lost > 0) problems.push(`${t.lost} lost`);
  if (t.duplicated > 0) problems.push(`${t.duplicated} duplicated`);
  if (t.outOfOrder > 0) problems.push(`${t.outOfOrder} out of order`);
  if (opts.noRestart) {
    if (world.bridgeCrashes.length > 0) problems.push(`the bridge exited on its own (${world.bridgeCrashes.join(', ')})`);
    else if (world.bridge.starts !== 1 || !world.bridge.running) problems.push(`the bridge did not stay up (starts ${world.bridge.starts})`);
  }
  assert.deepEqual(problems, [], `${world.name} ${label}: ${problems.join(', ')}`);
}

/** `kills` kill -9 and restart faults of the bridge at random seqs of a `count`-message stream,
 *  one after the other; FAULTS_SEED=<n> replays the same points. For stream()'s `faults`. */
export function killPoints(world: FaultWorld, label: string, kills: number, count: number): Map<number, () => Promise<void>> {
  const seed = suiteSeed();
  const random = seededRandom(seed);
  const points = randomPoints(random, kills, 20, count - 20);
  console.log(`${world.name} ${label}: FAULTS_SEED=${seed}, kill -9 after messages ${points.join(', ')}`);
  let chain = Promise.resolve();
  return new Map(points.map((seq) => [seq, () => {
    chain = chain.then(async () => {
      const pid = world.bridge.pid;
      await world.bridge.kill();
      await sleep(500 + Math.floor(random() * 1500));
      await world.bridge.start();
      console.log(`${world.name} ${label}: killed bridge pid ${pid} after #${seq}, restarted as pid ${world.bridge.pid}`);
    });
    return chain;
  }]));
}
