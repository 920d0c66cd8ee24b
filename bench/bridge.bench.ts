/**
 * bench:bridge — the bridged chat path end to end with a real Synapse, beside baselines
 * measured in the same run, and the bridge's memory with 1,000 portals. Prints figures;
 * asserts nothing about timing.
 *
 *   node dist/bench/bridge.bench.js
 *   env: BENCH_MESSAGES (200 per run), BENCH_WINDOWS ("1,20"), BENCH_WARMUP (20),
 *        BENCH_SPREAD (4: windows > 1 are also run spread over this many portals),
 *        BENCH_PATHS (all: a comma-separated choice of A, B, R->M, M->R, R->Mx4, M->Rx4, to profile one path),
 *        BENCH_PORTALS (1000), BENCH_PORTAL_WINDOW (10), BENCH_PROBE (20), BRIDGE_LOG (error),
 *        BENCH_HEAP_SNAPSHOT=1 (the bridge writes a V8 heap snapshot at the end; with BENCH_KEEP_DIR=1),
 *        BENCH_SYNAPSE_CONFIG (JSON merged into homeserver.yaml, for experiments),
 *        BENCH_KEEP_DIR=1 (keep the temp dir: Synapse's log has per-request timings),
 *        BENCH_BRIDGE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the bridge)
 *
 * Set-up: the interop gateway and every simulated user and Matrix client run in this process;
 * the bridge runs as a child process (`node dist/src/cli.js -c config.yaml`), so its RSS and CPU
 * are its own; Synapse is its own process. On a 2-core machine they share the two cores.
 *
 * Paths (see flow.ts for the method: N messages, at most `window` in flight, latency = arrival
 * time − send-call time on this process's clock, rate = N / wall time):
 *   A    Matrix client → Synapse → second Matrix user's /sync           (baseline: direct Synapse)
 *   B    simulated user → gateway → simulated user, Signal-encrypted    (baseline: direct network)
 *   R→M  simulated user → gateway → bridge → Synapse → Matrix user's /sync
 *   M→R  Matrix user → Synapse → bridge (appservice transaction, outbox) → gateway → simulated user
 * The bridged paths carry both hops, so besides "Δp50 vs A" (the issue's measure) the table shows
 * the bridge's own share, p50 − p50(A) − p50(B): what is left after both baselines.
 */
import { cpus, loadavg } from 'node:os';
import { heapSnapshot, loginMatrixUser, openChat, matrixUser, memoryOf, newSim, startBridgedEnv } from './bridged-env';
import { Arrivals, messageBodyIn, runFlow, SyncWatcher } from './flow';
import { measure, type Path, type Row } from './measure-path';
import { portalPhase } from './portal-phase';
import type { Summary } from './stats';

const ALICE_PHONE = '+4915112345678';
const S1_PHONE = '+14155552672';
const S2_PHONE = '+14155552673';

/** Issue 13's aims, reached or not (printed; nothing is asserted): the rate over spread portals
 *  at the widest window, the added p50 at window 1, Synapse's CPU per bridged event against a
 *  direct send's and the bridge's own CPU per message, each against the same window's A. */
function printAims(rows: Row[]): void {
  console.log('\nAims (issue 13): R→M over spread portals at the widest window ≥ 90 % of A; R→M p50 at window 1 ≤ 5 ms above A;');
  console.log('Synapse CPU per bridged event ≤ 1.3 × A\'s; bridge CPU ≤ 1.5 ms per message');
  const verdict = (ok: boolean) => (ok ? 'reached' : 'NOT reached');
  for (const r of rows.filter((x) => x.path.key !== 'A' && x.path.key !== 'B')) {
    const a = rows.find((x) => x.path.key === 'A' && x.window === r.window);
    if (!a) continue;
    const ratio = r.s.perSecond / a.s.perSecond;
    const added = r.s.p50Ms - a.s.p50Ms;
    const synapse = r.cpuMsPerMsg.synapse / a.cpuMsPerMsg.synapse;
    const parts = [`rate ${f(100 * ratio, 0).padStart(4)} % of A`];
    if (r.path.key.startsWith('R→M×')) parts.push(verdict(ratio >= 0.9));
    if (r.path.key === 'R→M' && r.window === 1) parts.push(`p50 ${added >= 0 ? '+' : ''}${f(added)} ms ${verdict(added <= 5)}`);
    parts.push(`Synapse CPU ${f(synapse, 2)} × A ${verdict(synapse <= 1.3)}`, `bridge CPU ${f(r.cpuMsPerMsg.bridge, 2)} ms ${verdict(r.cpuMsPerMsg.bridge <= 1.5)}`);
    console.log(`  ${r.path.key.padEnd(6)} window ${String(r.window).padStart(3)}: ${parts.join('   ')}`);
  }
}

/** Text of a remote message's text parts (what a phone shows); undefined for other content. */
function remoteText(content: { kind: string; parts?: Array<{ type: string; body?: string }> }): string | undefined {
  if (content.kind !== 'message' || !content.parts) return undefined;
  return content.parts.filter((p) => p.type === 'text').map((p) => p.body ?? '').join('\n');
}

function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
  return value;
}

const MESSAGES = intEnv('BENCH_MESSAGES', 200);
const WARMUP = intEnv('BENCH_WARMUP', 20);
const PORTALS = intEnv('BENCH_PORTALS', 1000);
const PROBE = intEnv('BENCH_PROBE', 20);
const PORTAL_WINDOW = Math.max(1, intEnv('BENCH_PORTAL_WINDOW', 10));
const SPREAD = intEnv('BENCH_SPREAD', 4);
/** the paths to run, by key ("->" and "x" accepted for "→" and "×"); undefined: all of them */
const PATHS = process.env.BENCH_PATHS?.split(',').map((k) => k.trim().replace('->', '→').replace(/x(\d+)$/, '×$1'));
const WINDOWS = (process.env.BENCH_WINDOWS ?? '1,20').split(',').map((w) => Math.max(1, Number(w.trim()) || 1));

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

function printTable(rows: Row[]): void {
  console.log('\npath                                     window   msgs    msg/s   p50 ms   p99 ms  rate/A  Δp50 vs A  bridge share p50' +
    '   CPU ms/msg: bridge synapse bench');
  for (const r of rows) {
    const a = rows.find((x) => x.path.key === 'A' && x.window === r.window);
    const b = rows.find((x) => x.path.key === 'B' && x.window === r.window);
    const bridged = r.path.key.startsWith('R→M') || r.path.key.startsWith('M→R');
    const ratio = a && r.path.key !== 'A' ? `${f((100 * r.s.perSecond) / a.s.perSecond, 0)} %` : '';
    const delta = a && bridged ? `${r.s.p50Ms - a.s.p50Ms >= 0 ? '+' : ''}${f(r.s.p50Ms - a.s.p50Ms)} ms` : '';
    const share = a && b && bridged ? `${f(r.s.p50Ms - a.s.p50Ms - b.s.p50Ms)} ms` : '';
    console.log(
      `${`${r.path.key.padEnd(6)} ${r.path.title}`.padEnd(40)} ${String(r.window).padStart(6)} ${String(r.s.count).padStart(6)} ` +
      `${f(r.s.perSecond).padStart(8)} ${f(r.s.p50Ms).padStart(8)} ${f(r.s.p99Ms).padStart(8)} ${ratio.padStart(7)} ` +
      `${delta.padStart(10)} ${share.padStart(17)}   ${f(r.cpuMsPerMsg.bridge, 2).padStart(17)} ${f(r.cpuMsPerMsg.synapse, 2).padStart(7)} ` +
      `${f(r.cpuMsPerMsg.bench, 2).padStart(5)}`,
    );
  }
}

async function main(): Promise<void> {
  const began = Date.now();
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`machine: ${cpus().length} CPU(s), load average ${load()} at start (other work on the machine skews every figure)`);
  console.log(`bench:bridge — ${MESSAGES} messages per run, windows ${WINDOWS.join(', ')}, ${WARMUP} warm-up messages per path, ${PORTALS} portals`);
  if (PORTALS > 0) {
    console.log('  (each portal is a real Synapse room; Synapse needs about 0.6 s of CPU per room on a small machine, so 1,000');
    console.log('  portals take 10+ minutes there. BENCH_PORTALS=250 gives a quicker run; the RSS slope is printed per quarter.)');
  }
  const env = await startBridgedEnv();
  console.log(`Synapse database: ${env.synapseDb} (BENCH_SYNAPSE_DB=sqlite | postgres)`);
  try {
    const memStart = memoryOf(env.bridgePid);
    const alice = await matrixUser(env, 'alice');
    const bob = await matrixUser(env, 'bob');
    const managementRoom = await loginMatrixUser(env, alice, ALICE_PHONE);

    // the bridged chats: each sim writes first, Alice accepts the request and the portal invite
    const chats: Array<Awaited<ReturnType<typeof openChat>>> = [];
    for (let i = 0; i < Math.max(1, SPREAD); i++) chats.push(await openChat(env, alice, managementRoom, ALICE_PHONE, `+1415555${2680 + i}`));
    const { sim: sam, portal } = chats[0];

    // baseline A's room, baseline B's pair
    const roomA = await alice.createRoom({ invite: [bob.userId] });
    await bob.join(roomA);
    const [s1, s2] = [await newSim(env, S1_PHONE), await newSim(env, S2_PHONE)];

    const arrivals = new Arrivals();
    for (const chat of chats) chat.sim.on('message', (m) => m.sender.phone === ALICE_PHONE && arrivals.seen(remoteText(m.content)));
    s2.on('message', (m) => m.sender.phone === S1_PHONE && arrivals.seen(remoteText(m.content)));
    const paths: Path[] = [
      { key: 'A', title: 'Matrix → Matrix, direct Synapse', watcher: new SyncWatcher(bob, messageBodyIn(roomA), arrivals), send: (b) => alice.sendText(roomA, b) },
      { key: 'B', title: 'sim → sim, direct gateway', send: (b) => s1.sendText(S2_PHONE, b) },
      { key: 'R→M', title: 'sim → bridge → Matrix', watcher: new SyncWatcher(alice, messageBodyIn(portal), arrivals), send: (b) => sam.sendText(ALICE_PHONE, b) },
      { key: 'M→R', title: 'Matrix → bridge → sim', send: (b) => alice.sendText(portal, b) },
    ];
    // the same window spread over several portals: the bridge keeps one ordered queue per portal
    let turn = 0;
    const portalSet = new Set(chats.map((c) => c.portal));
    const spread: Path[] = SPREAD > 1 ? [
      {
        key: `R→M×${SPREAD}`, title: `${SPREAD} sims → bridge → Matrix`,
        watcher: new SyncWatcher(alice, (e) => (portalSet.has(e.roomId) ? messageBodyIn(e.roomId)(e) : undefined), arrivals),
        send: (b) => chats[turn++ % SPREAD].sim.sendText(ALICE_PHONE, b),
      },
      { key: `M→R×${SPREAD}`, title: `Matrix → bridge → ${SPREAD} sims`, send: (b) => alice.sendText(chats[turn++ % SPREAD].portal, b) },
    ] : [];
    // warm-up: sessions established, code paths compiled by the JIT on every side
    if (WARMUP > 0) for (const path of paths.filter((p) => !PATHS || PATHS.includes(p.key))) await measure(env, path, arrivals, 1, WARMUP);

    const rows: Row[] = [];
    for (const window of WINDOWS) {
      for (const path of (window > 1 ? [...paths, ...spread] : paths).filter((p) => !PATHS || PATHS.includes(p.key))) {
        const row = await measure(env, path, arrivals, window, MESSAGES);
        rows.push(row);
        console.log(`  measured ${path.key} window ${window}: ${f(row.s.perSecond)} msg/s, p50 ${f(row.s.p50Ms)} ms`);
      }
    }
    const memAfterMessages = memoryOf(env.bridgePid);

    let portals: Awaited<ReturnType<typeof portalPhase<Summary>>> | undefined;
    if (PORTALS > 0) {
      console.log(`  creating ${PORTALS} portals with start-chat (${PORTAL_WINDOW} commands in flight); ` +
        `meanwhile ${PROBE} Matrix → remote messages, one at a time…`);
      const mr = paths.find((p) => p.key === 'M→R') as Path;
      portals = await portalPhase(env, alice, managementRoom, PORTALS, PORTAL_WINDOW, PROBE > 0 ? () => runFlow({ label: 'probe', messages: PROBE, window: 1, stallMs: 120_000 }, arrivals, mr.send) : undefined);
    }
    await new Promise((r) => setTimeout(r, 2000)); // let the bridge settle (timers, pending writes)
    const memEnd = memoryOf(env.bridgePid);
    const snapshot = process.env.BENCH_HEAP_SNAPSHOT ? await heapSnapshot(env) : undefined;

    console.log('\nMethod: each run sends N messages with unique bodies, at most `window` in flight (sent, not yet seen by the');
    console.log('receiver). Latency = receiver saw it (Matrix: /sync long-poll; sim: decrypted message) − send call started, on');
    console.log('this process\'s monotonic clock. msg/s = N / wall time, first send to last arrival. Same Synapse, gateway and');
    console.log('bridge for every run; A and B are the baselines of each window.');
    console.log('"bridge share p50" = p50 − p50(A) − p50(B): the bridged path minus both hops it is made of.');
    console.log('CPU ms/msg: CPU time of the bridge process, Synapse and this bench process (gateway, sims, clients) per message.');
    printTable(rows);
    printAims(rows);

    console.log(`\nBridge process memory (VmRSS from /proc/${env.bridgePid}/status; peak = VmHWM):`);
    console.log(`  after start, no users:                  ${f(memStart.rssMb)} MB`);
    console.log(`  after login and ${rows.length + (WARMUP > 0 ? paths.length : 0)} message runs:       ${f(memAfterMessages.rssMb)} MB (peak ${f(memAfterMessages.peakMb)} MB)`);
    for (const c of portals?.checkpoints ?? []) {
      console.log(`  holding ${String(c.portals).padStart(5)} portals with rooms:   ${f(c.rssMb)} MB (peak ${f(c.peakMb)} MB)` +
        `   [${f(c.run.perSecond, 2)} portals/s; CPU per portal: bridge ${f(c.cpuMsPerPortal.bridge, 0)} ms, Synapse ${f(c.cpuMsPerPortal.synapse, 0)} ms]`);
    }
    console.log(`  at the end, after 2 s idle:            ${f(memEnd.rssMb)} MB (peak ${f(memEnd.peakMb)} MB)   aim: ≤ 200 MB with 1,000 portals`);
    if (portals) {
      const all = portals.checkpoints.map((c) => c.run);
      const seconds = all.reduce((t, r) => t + r.seconds, 0);
      console.log(`  The portals came from the bridge's own start-chat command (ghost registered and named, room with bridge state,`);
      console.log(`  bot join, notice, invite), ${PORTAL_WINDOW} commands in flight: ${f(PORTALS / seconds, 2)} portals/s overall.`);
      console.log('  The contacts are numbers the network does not know, so the bridge holds no Signal sessions for them.');
      if (portals.probe) {
        const p = portals.probe;
        const mr1 = rows.find((r) => r.path.key === 'M→R' && r.window === 1);
        console.log(`  Matrix → remote while start-chat commands run (one message at a time): p50 ${f(p.p50Ms)} ms, p99 ${f(p.p99Ms)} ms` +
          (mr1 ? ` (idle: p50 ${f(mr1.s.p50Ms)} ms)` : ''));
      }
    }
    if (snapshot) console.log(`  heap snapshot of the bridge at the end: ${snapshot}`);
    console.log(`load average at the end: ${load()}`);
    console.log(`\nwhole bench: ${f((Date.now() - began) / 1000, 0)} s`);
  } finally {
    await env.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`bench:bridge failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
