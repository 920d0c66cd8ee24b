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
import { cpus, loadavg } from 'node:os';
import { cpuSecondsOf } from './bridged-env';
import { runFlow } from './flow';
import { ALICE_PHONE, startInternalWorld, textOf } from './internal-world';
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

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

interface Row { key: string; title: string; s: Summary; bridgeCpuMs: number; benchCpuMs: number }

async function main(): Promise<void> {
  const began = Date.now();
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`machine: ${cpus().length} CPU(s), load average ${load()} at start (other work on the machine skews every figure)`);
  console.log(`bench:internal — homeserver replaced by a sink; ${MESSAGES} messages per run, window ${WINDOW} over ${SPREAD} portals, ${WARMUP} warm-up`);
  const world = await startInternalWorld({ chats: SPREAD });
  try {
    const { arrivals, chats, sink, say } = world;
    const bridgePid = world.bridgePid;
    const [s1, s2] = [await world.newSim('+14155552672'), await world.newSim('+14155552673')];
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
    await world.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`bench:internal failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
