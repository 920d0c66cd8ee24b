/**
 * bench:internal — the bridge's own cost per message, with the homeserver replaced by a
 * minimal HTTP sink (homeserver-sink.ts) that answers the bridge's client-server calls at once
 * and pushes appservice transactions to it. Beside it, in the same run, the baseline the
 * bridged path cannot beat: sim → gateway → sim, the remote side alone. Prints figures;
 * asserts nothing. The sink accepts anything, so this says nothing about correctness.
 *
 *   node dist/bench/bridge-internal.bench.js
 *   env: BENCH_MESSAGES (2000 per run), BENCH_WINDOW (64 in flight), BENCH_SPREAD (4 portals),
 *        BENCH_WARMUP (200), BRIDGE_LOG (error)
 *
 * Set-up: gateway, simulated users and the sink in this process; the bridge as a child process
 * (`node dist/src/cli.js -c config.yaml`), so its CPU time is read from /proc/<pid>/stat.
 * Paths (method in flow.ts: N unique bodies, at most `window` in flight, rate = N / wall time):
 *   B    sim → gateway → sim, Signal-encrypted                  (baseline: the remote side alone)
 *   R→M  sim → gateway → bridge → sink: counted when the bridge PUTs the m.room.message
 *   M→R  sink pushes a transaction → bridge → gateway → sim: counted when the sim has decrypted it
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ContentPart } from '../src/protocol/content';
import { SimUser } from '../src/sim/sim-user';
import { localBridgeConfig, startBridgeProcess } from '../tests/helpers/bridge-process';
import { PROVIDER_SECRETS, startTestGateway, type TestGatewayHandle } from '../tests/helpers/interop-gateway';
import { bridgeNodeArgs, cpuSecondsOf } from './bridged-env';
import { Arrivals, runFlow } from './flow';
import { roomEvent, startHomeserverSink, type HomeserverSink, type SentEvent } from './homeserver-sink';
import type { Summary } from './stats';

function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
  return value;
}
const MESSAGES = Math.max(1, intEnv('BENCH_MESSAGES', 2000));
const WINDOW = Math.max(1, intEnv('BENCH_WINDOW', 64));
const SPREAD = Math.max(1, intEnv('BENCH_SPREAD', 4));
const WARMUP = intEnv('BENCH_WARMUP', 200);
const SERVER = 'localhost';
const ALICE = `@alice:${SERVER}`;
const ALICE_PHONE = '+4915112345678';

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
/** What a phone shows of a remote message's text parts. */
const textOf = (parts: ContentPart[] | undefined) => (parts ?? []).map((p) => (p.type === 'text' ? p.body : '')).join('\n');
const bodyText = (c: Record<string, unknown>) => (typeof c.body === 'string' ? c.body : undefined);

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

async function newSim(gateway: TestGatewayHandle, sims: SimUser[], phone: string): Promise<SimUser> {
  const sim = await SimUser.create({
    url: gateway.url, phone, provider: 'native', secret: PROVIDER_SECRETS.native, dataDir: gateway.dir,
    preKeyBatch: 20, kyberPreKeyBatch: 5, codeProvider: (p) => gateway.codes.next(p),
  });
  sims.push(sim);
  await sim.register();
  return sim;
}

interface Row { key: string; title: string; s: Summary; bridgeCpuMs: number; benchCpuMs: number }

async function main(): Promise<void> {
  const began = Date.now();
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`machine: ${cpus().length} CPU(s), load average ${load()} at start (other work on the machine skews every figure)`);
  console.log(`bench:internal — homeserver replaced by a sink; ${MESSAGES} messages per run, window ${WINDOW} over ${SPREAD} portals, ${WARMUP} warm-up`);
  const dir = mkdtempSync(join(tmpdir(), 'bridge-internal-'));
  const cleanups: Array<() => Promise<unknown> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const sims: SimUser[] = [];
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
    const bridge = await startBridgeProcess({ dir, config, nodeArgs: bridgeNodeArgs() });
    cleanups.push(() => bridge.stop());
    const bridgePid = bridge.pid as number;

    // Alice's management room and login, pushed as the homeserver would
    const mgmt = `!mgmt:${SERVER}`;
    const botSays = (pattern: RegExp) => (e: SentEvent) => e.roomId === mgmt && e.sender === botUserId && pattern.test(bodyText(e.content) ?? '');
    const say = async (roomId: string, body: string) => sink.push([roomEvent(SERVER, roomId, ALICE, 'm.room.message', { msgtype: 'm.text', body })]);
    let reply = nextSend(sink, waiters, botSays(/management room/), 'greeting');
    await sink.push([roomEvent(SERVER, mgmt, ALICE, 'm.room.member', { membership: 'invite', is_direct: true }, botUserId)]);
    await reply;
    reply = nextSend(sink, waiters, botSays(/code/i), 'code prompt');
    await say(mgmt, `login ${ALICE_PHONE}`);
    await reply;
    reply = nextSend(sink, waiters, botSays(/Logged in as/), 'login confirmation');
    await say(mgmt, await gateway.codes.next(ALICE_PHONE));
    await reply;

    // portals: each sim writes first, Alice accepts the request, the bridge creates the room
    const chats: Array<{ sim: SimUser; portal: string }> = [];
    for (let i = 0; i < SPREAD; i++) {
      const phone = `+1415555${2680 + i}`;
      const sim = await newSim(gateway, sims, phone);
      const request = nextSend(sink, waiters, botSays(/^📨 Message request from /), 'message request');
      await sim.sendText(ALICE_PHONE, 'hello');
      await request;
      const hello = nextSend(sink, waiters, (e) => e.sender !== botUserId && bodyText(e.content) === 'hello', 'first message in the portal');
      await say(mgmt, `accept ${phone}`);
      chats.push({ sim, portal: (await hello).roomId });
      sim.on('message', (m) => {
        if (m.sender.phone !== ALICE_PHONE || m.content.kind !== 'message') return;
        arrivals.seen(textOf(m.content.parts));
      });
    }
    const [s1, s2] = [await newSim(gateway, sims, '+14155552672'), await newSim(gateway, sims, '+14155552673')];
    s2.on('message', (m) => m.content.kind === 'message' && arrivals.seen(textOf(m.content.parts)));
    await s1.sendText('+14155552673', 'hi'); // first contact (sessions) outside the clock

    let turn = 0;
    const paths: Array<{ key: string; title: string; send: (body: string) => Promise<unknown> }> = [
      { key: 'B', title: 'sim → gateway → sim (baseline)', send: (b) => s1.sendText('+14155552673', b) },
      { key: 'R→M', title: `${SPREAD} sims → bridge → sink`, send: (b) => chats[turn++ % SPREAD].sim.sendText(ALICE_PHONE, b) },
      { key: 'M→R', title: `sink → bridge → ${SPREAD} sims`, send: (b) => say(chats[turn++ % SPREAD].portal, b) },
    ];
    const rows: Row[] = [];
    for (const path of paths) {
      if (WARMUP > 0) await runFlow({ label: `${path.key}-warm`, messages: WARMUP, window: WINDOW }, arrivals, path.send);
      const cpu0 = { bridge: cpuSecondsOf(bridgePid), bench: process.cpuUsage() };
      const s = await runFlow({ label: path.key, messages: MESSAGES, window: WINDOW }, arrivals, path.send);
      const bench = process.cpuUsage(cpu0.bench);
      rows.push({
        key: path.key, title: path.title, s,
        bridgeCpuMs: ((cpuSecondsOf(bridgePid) - cpu0.bridge) * 1000) / MESSAGES,
        benchCpuMs: (bench.user + bench.system) / 1000 / MESSAGES,
      });
      console.log(`  measured ${path.key}: ${f(s.perSecond)} msg/s`);
    }

    console.log('\nMethod: N messages with unique bodies, at most `window` in flight; msg/s = N / wall time, first send to last');
    console.log('arrival. R→M arrives when the bridge PUTs the event to the sink; M→R when the sim has decrypted it. CPU ms/msg:');
    console.log('the bridge child (/proc/<pid>/stat, 10 ms ticks) and this process (gateway, sims, sink) per message.');
    console.log('\npath                                    msgs    msg/s   p50 ms   p99 ms  rate/B   CPU ms/msg: bridge  bench');
    const b = rows[0];
    for (const r of rows) {
      console.log(`${`${r.key.padEnd(5)} ${r.title}`.padEnd(38)} ${String(r.s.count).padStart(5)} ${f(r.s.perSecond).padStart(8)} ` +
        `${f(r.s.p50Ms).padStart(8)} ${f(r.s.p99Ms).padStart(8)} ${`${f((100 * r.s.perSecond) / b.s.perSecond, 0)} %`.padStart(7)}   ` +
        `${(r.key === 'B' ? '' : f(r.bridgeCpuMs, 2)).padStart(18)} ${f(r.benchCpuMs, 2).padStart(6)}`);
    }
    const rm = rows.find((r) => r.key === 'R→M') as Row;
    const mr = rows.find((r) => r.key === 'M→R') as Row;
    console.log('\nAims (printed, not asserted): bridge CPU ≤ 1.5 ms per message each way; R→M ≥ 2,000 msg/s');
    console.log(`  R→M bridge CPU ${f(rm.bridgeCpuMs, 2)} ms/msg ${rm.bridgeCpuMs <= 1.5 ? 'reached' : 'NOT reached'}; ` +
      `M→R bridge CPU ${f(mr.bridgeCpuMs, 2)} ms/msg ${mr.bridgeCpuMs <= 1.5 ? 'reached' : 'NOT reached'}; ` +
      `R→M ${f(rm.s.perSecond, 0)} msg/s ${rm.s.perSecond >= 2000 ? 'reached' : 'NOT reached'}`);
    if (sink.unknown.size > 0) console.log(`sink: paths it does not know, answered {}: ${[...sink.unknown].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    console.log(`load average at the end: ${load()}; whole bench: ${f((Date.now() - began) / 1000, 0)} s`);
  } finally {
    while (cleanups.length > 0) await cleanups.pop()!();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`bench:internal failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
