/**
 * bench:gateway — N simulated pairs exchange Signal-encrypted messages through the real
 * gateway (a child process, real sockets, SQLite queues, acks), next to a raw WebSocket echo
 * round trip measured in the same run. Prints figures; asserts nothing about timing.
 *
 *   node dist/bench/gateway.bench.js [--pairs 16] [--messages 500] [--window 64] [--size 100]
 *
 * Latency of a relayed message: from the sender starting sendContent (encrypt, submit) to the
 * recipient handing the decrypted, validated content to the application.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { SimUser } from '../src/sim/sim-user';
import { line, summarize, type Summary } from './stats';

interface Options {
  pairs: number;
  messages: number;
  window: number;
  size: number;
  /** measure the raw WebSocket echo too (off only when profiling the relay) */
  raw: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string', default: process.env.BENCH_PAIRS ?? '16' },
      messages: { type: 'string', default: process.env.BENCH_MESSAGES ?? '500' },
      window: { type: 'string', default: process.env.BENCH_WINDOW ?? '16' },
      size: { type: 'string', default: process.env.BENCH_SIZE ?? '100' },
      'no-raw': { type: 'boolean', default: false },
    },
  });
  const n = (v: string, name: string) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 1) throw new Error(`--${name} must be a positive integer`);
    return x;
  };
  return {
    pairs: n(values.pairs, 'pairs'),
    messages: n(values.messages, 'messages'),
    window: n(values.window, 'window'),
    size: n(values.size, 'size'),
    raw: !values['no-raw'],
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

async function startChild(dir: string): Promise<{ gatewayUrl: string; echoUrl: string; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(__dirname, 'gateway-process.js'), dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`gateway process exited (${code})`)));
  });
  const urls = JSON.parse(first) as { gatewayUrl: string; echoUrl: string };
  return {
    ...urls,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}

/** Raw WebSocket: `total` frames of a relay-sized payload over `conns` sockets, `window` in flight each. */
async function rawEcho(url: string, conns: number, total: number, window: number, frameBytes: number): Promise<Summary> {
  const payload = JSON.stringify({ v: 1, type: 'echo', pad: 'x'.repeat(Math.max(0, frameBytes - 40)) });
  const sockets = await Promise.all(
    Array.from({ length: conns }, () => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('open', () => resolve(ws)).once('error', reject);
    })),
  );
  const latencies: number[] = [];
  const perSocket = Math.ceil(total / conns);
  const t0 = performance.now();
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          const sentAt: number[] = [];
          let sent = 0;
          let received = 0;
          const pump = () => {
            while (sent < perSocket && sent - received < window) {
              sentAt.push(performance.now());
              ws.send(payload);
              sent++;
            }
          };
          ws.on('message', () => {
            latencies.push(performance.now() - (sentAt[received++] as number));
            if (received === perSocket) resolve();
            else pump();
          });
          pump();
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const ws of sockets) ws.close();
  return summarize(latencies, seconds);
}

interface RelayResult {
  summary: Summary;
  setupSeconds: number;
  clientCpuSeconds: number;
  gatewayCpuSeconds: number;
}

async function relay(gatewayUrl: string, gatewayPid: number, dir: string, o: Options): Promise<RelayResult> {
  const setup0 = performance.now();
  const users: SimUser[] = [];
  for (let i = 0; i < o.pairs * 2; i++) {
    const sim = await SimUser.create({
      url: gatewayUrl,
      phone: `+4915200${String(i).padStart(6, '0')}`,
      provider: 'native',
      secret: 'native-dev-secret',
      dataDir: dir,
      autoDelivered: false,
      preKeyBatch: 5,
      kyberPreKeyBatch: 1,
    });
    await sim.register();
    users.push(sim);
  }
  // first contact both ways, so the run measures steady-state sessions
  for (let p = 0; p < o.pairs; p++) {
    const [a, b] = [users[2 * p], users[2 * p + 1]];
    const id = await a.sendText(b.phone, 'hello');
    await b.waitFor('message', (m) => m.content.messageId === id);
    const back = await b.sendText(a.phone, 'hello');
    await a.waitFor('message', (m) => m.content.messageId === back);
  }
  const setupSeconds = (performance.now() - setup0) / 1000;

  const startedAt = new Map<string, number>();
  const latencies: number[] = [];
  const expected = o.pairs * 2 * o.messages;
  let done!: () => void;
  const allReceived = new Promise<void>((resolve) => (done = resolve));
  for (const u of users) {
    u.client.on('message', (m) => {
      const t = startedAt.get(m.content.messageId);
      if (t === undefined) return;
      latencies.push(performance.now() - t);
      startedAt.delete(m.content.messageId);
      if (latencies.length === expected) done();
    });
    u.received.length = 0; // keep memory flat; the bench listens on the client directly
  }
  const body = 'x'.repeat(o.size);
  const cpu0 = process.cpuUsage();
  const gatewayCpu0 = cpuSecondsOf(gatewayPid);
  const t0 = performance.now();
  await Promise.all(
    users.map(async (sender, i) => {
      const to = users[i % 2 === 0 ? i + 1 : i - 1].phone;
      const inFlight = new Set<Promise<unknown>>();
      for (let k = 0; k < o.messages; k++) {
        const messageId = `${sender.phone}-${k}`;
        startedAt.set(messageId, performance.now());
        const p = sender.client
          .sendContent(to, { kind: 'message', messageId, timestamp: Date.now(), parts: [{ type: 'text', body, format: 'plain' }] })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= o.window) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }),
  );
  await allReceived;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const gatewayCpuSeconds = cpuSecondsOf(gatewayPid) - gatewayCpu0;
  for (const u of users) await u.close();
  return { summary: summarize(latencies, seconds), setupSeconds, clientCpuSeconds: (cpu.user + cpu.system) / 1e6, gatewayCpuSeconds };
}

async function main(): Promise<void> {
  const o = options();
  const dir = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  const child = await startChild(dir);
  try {
    const total = o.pairs * 2 * o.messages;
    console.log(`bench:gateway — ${o.pairs} pairs × 2 directions × ${o.messages} messages = ${total} messages, ` +
      `window ${o.window} per sender, ${o.size}-byte text, ${cpus().length} CPUs, node ${process.version}`);
    // warm-up of the raw path, then the measured run
    let raw: Summary | undefined;
    if (o.raw) {
      await rawEcho(child.echoUrl, o.pairs * 2, 2000, o.window, 600); // warm-up
      raw = await rawEcho(child.echoUrl, o.pairs * 2, Math.max(total, 50_000), o.window, 600);
    }
    const { summary, setupSeconds, clientCpuSeconds, gatewayCpuSeconds } = await relay(child.gatewayUrl, child.pid, dir, o);
    if (raw) console.log(line('raw WebSocket echo', raw));
    console.log(line('Signal-encrypted relay', summary));
    if (raw) {
      console.log(`ratio relay/raw: throughput ${(summary.perSecond / raw.perSecond).toFixed(3)}, ` +
        `p50 latency ×${(summary.p50Ms / raw.p50Ms).toFixed(1)}, p99 latency ×${(summary.p99Ms / raw.p99Ms).toFixed(1)}`);
    }
    const perMessage = (sec: number) => ((sec * 1e6) / summary.count).toFixed(0);
    console.log(`CPU during the relay: simulated users ${clientCpuSeconds.toFixed(2)} s (${perMessage(clientCpuSeconds)} µs/message: ` +
      `encrypt + decrypt + key store), gateway ${gatewayCpuSeconds.toFixed(2)} s (${perMessage(gatewayCpuSeconds)} µs/message)`);
    console.log(`(setup: ${o.pairs * 2} registrations and first contacts in ${setupSeconds.toFixed(1)} s, not counted)`);
  } finally {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`bench:gateway failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
