/**
 * bench:scale — the bridge's memory and its cost per message with few and with many portals
 * (issue 13: RSS ≤ 120 MB idle, ≤ 250 MB with 10,000 portals; per-message cost at 10,000
 * within 10 % of that at 10). Each size gets a world of its own (internal-world.ts: the
 * homeserver is a sink, the bridge a child process); all but `BENCH_ACTIVE` of its portals are
 * seeded through the store (seed-portals.ts says why), the active ones are made the way a user
 * makes them and carry the messages. Prints figures; asserts nothing; the sink accepts
 * anything, so this says nothing about correctness.
 *
 *   node dist/bench/scale.bench.js
 *   env: BENCH_SCALE_PORTALS (10,10000), BENCH_ACTIVE (4), BENCH_MESSAGES (1000), BENCH_WINDOW (64),
 *        BENCH_WARMUP (200), BRIDGE_LOG (error), TEST_BRIDGE_DB (sqlite; postgres: the bridge's store
 *        on a fresh PostgreSQL database, as the test helpers make it; npm run bench:scale:pg)
 */
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSecondsOf, memoryOf } from './bridged-env';
import { runFlow } from './flow';
import { ALICE, ALICE_PHONE, startInternalWorld } from './internal-world';
import { seedPortals } from './seed-portals';
import type { Summary } from './stats';

function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
  return value;
}
const SIZES = (process.env.BENCH_SCALE_PORTALS ?? '10,10000').split(',').map((s) => Number(s.trim()));
const ACTIVE = Math.max(1, intEnv('BENCH_ACTIVE', 4));
const MESSAGES = Math.max(1, intEnv('BENCH_MESSAGES', 1000));
const WINDOW = Math.max(1, intEnv('BENCH_WINDOW', 64));
const WARMUP = intEnv('BENCH_WARMUP', 200);
/** memory is read after the bridge has been left alone this long */
const SETTLE_MS = 3000;

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

interface SizeResult {
  portals: number;
  startMs: number;
  loginMs: number;
  rssNoUsersMb: number;
  rssIdleMb: number;
  rssAfterMb: number;
  peakMb: number;
  flows: Array<{ key: string; s: Summary; bridgeCpuMs: number }>;
}

async function measure(portals: number): Promise<SizeResult> {
  if (!Number.isInteger(portals) || portals < ACTIVE) throw new Error(`BENCH_SCALE_PORTALS: each size must be a whole number ≥ BENCH_ACTIVE (${ACTIVE})`);
  let rssNoUsersMb = NaN;
  let started = 0;
  let startMs = NaN;
  const began = Date.now();
  const world = await startInternalWorld({
    chats: ACTIVE,
    beforeStart: async (config) => {
      await seedPortals(config, ALICE, portals - ACTIVE);
      started = Date.now();
    },
    afterStart: async (pid) => {
      startMs = Date.now() - started;
      await sleep(SETTLE_MS);
      rssNoUsersMb = memoryOf(pid).rssMb;
    },
  });
  try {
    const loginMs = Date.now() - began - startMs - SETTLE_MS;
    await sleep(SETTLE_MS);
    const rssIdleMb = memoryOf(world.bridgePid).rssMb;
    let turn = 0;
    const paths = [
      { key: 'R→M', send: (b: string) => world.chats[turn++ % ACTIVE].sim.sendText(ALICE_PHONE, b) },
      { key: 'M→R', send: (b: string) => world.say(world.chats[turn++ % ACTIVE].portal, b) },
    ];
    const flows: SizeResult['flows'] = [];
    for (const path of paths) {
      if (WARMUP > 0) await runFlow({ label: `${portals}-${path.key}-warm`, messages: WARMUP, window: WINDOW }, world.arrivals, path.send);
      const cpu0 = cpuSecondsOf(world.bridgePid);
      const s = await runFlow({ label: `${portals}-${path.key}`, messages: MESSAGES, window: WINDOW }, world.arrivals, path.send);
      flows.push({ key: path.key, s, bridgeCpuMs: ((cpuSecondsOf(world.bridgePid) - cpu0) * 1000) / MESSAGES });
    }
    await sleep(SETTLE_MS);
    const after = memoryOf(world.bridgePid);
    console.log(`  measured ${portals} portals: ${flows.map((x) => `${x.key} ${f(x.s.perSecond, 0)} msg/s`).join(', ')}`);
    return { portals, startMs, loginMs, rssNoUsersMb, rssIdleMb, rssAfterMb: after.rssMb, peakMb: after.peakMb, flows };
  } finally {
    await world.stop();
  }
}

async function main(): Promise<void> {
  const began = Date.now();
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`machine: ${cpus().length} CPU(s), load average ${load()} at start (other work on the machine skews every figure)`);
  console.log(`bench:scale — homeserver replaced by a sink; bridge store ${process.env.TEST_BRIDGE_DB === 'postgres' ? 'PostgreSQL' : 'SQLite'}; portals ${SIZES.join(', ')}, of which ${ACTIVE} carry ${MESSAGES} messages each way (window ${WINDOW}, ${WARMUP} warm-up)`);
  const results: SizeResult[] = [];
  for (const size of SIZES) results.push(await measure(size));

  console.log('\nMemory: VmRSS of the bridge child (/proc/<pid>/status) after 3 s left alone; peak = VmHWM. Seeded portals');
  console.log('are in the store (a ghost, the portal and its room, the contact); the active ones were made by request and accept.');
  console.log('\nportals  start s  login+chats s  RSS no users MB  RSS idle MB  RSS after msgs MB  peak MB   R→M msg/s  CPU ms/msg   M→R msg/s  CPU ms/msg');
  for (const r of results) {
    const [rm, mr] = r.flows;
    console.log(`${String(r.portals).padStart(7)} ${f(r.startMs / 1000).padStart(8)} ${f(r.loginMs / 1000).padStart(14)} ${f(r.rssNoUsersMb).padStart(16)} ` +
      `${f(r.rssIdleMb).padStart(12)} ${f(r.rssAfterMb).padStart(18)} ${f(r.peakMb).padStart(8)} ${f(rm.s.perSecond, 0).padStart(11)} ` +
      `${f(rm.bridgeCpuMs, 2).padStart(11)} ${f(mr.s.perSecond, 0).padStart(11)} ${f(mr.bridgeCpuMs, 2).padStart(11)}`);
  }
  const small = results[0];
  const large = results[results.length - 1];
  console.log('\nAims (printed, not asserted): RSS ≤ 120 MB idle with no users, ≤ 250 MB with 10,000 portals; per-message cost at the');
  console.log('largest size within 10 % of the smallest\'s:');
  console.log(`  RSS with no users (${small.portals} portals): ${f(small.rssNoUsersMb)} MB ${small.rssNoUsersMb <= 120 ? 'reached' : 'NOT reached'}; ` +
    `RSS after messages with ${large.portals} portals: ${f(large.rssAfterMb)} MB ${large.rssAfterMb <= 250 ? 'reached' : 'NOT reached'}`);
  for (let i = 0; i < large.flows.length; i++) {
    const ratio = large.flows[i].bridgeCpuMs / small.flows[i].bridgeCpuMs;
    console.log(`  ${large.flows[i].key} CPU per message at ${large.portals} / at ${small.portals} portals: ${f(ratio, 2)} ${ratio <= 1.1 ? 'reached' : 'NOT reached'}`);
  }
  console.log(`load average at the end: ${load()}; whole bench: ${f((Date.now() - began) / 1000, 0)} s`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`bench:scale failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
