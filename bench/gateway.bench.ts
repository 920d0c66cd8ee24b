/**
 * bench:gateway — N simulated pairs exchange Signal-encrypted messages through the real
 * gateway (a child process, real sockets, SQLite queues, acks), next to a raw WebSocket echo
 * round trip measured in the same run. Prints figures; asserts nothing about timing.
 *
 *   node dist/bench/gateway.bench.js [--pairs 16] [--messages 500] [--window 16] [--size 100] [--threads 2]
 *
 * Two runs, each with fresh users (see relay-worker.ts): end-to-end (latency from the sender
 * starting sendContent — encrypt, submit — to the recipient handing the decrypted, validated
 * content to the application) and gateway relay of ciphertexts prepared beforehand (latency
 * from submit to the envelope reaching the recipient's socket).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { Worker } from 'node:worker_threads';
import type { WorkerInput, WorkerMessage } from './relay-worker';
import { line, summarize, type Summary } from './stats';

interface Options {
  pairs: number;
  messages: number;
  window: number;
  size: number;
  /** worker threads hosting the simulated users */
  threads: number;
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
      threads: { type: 'string', default: process.env.BENCH_THREADS ?? '2' },
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
    threads: n(values.threads, 'threads'),
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

/** Spreads the pairs over worker threads, starts them together, collects their latencies. */
async function relay(mode: WorkerInput['mode'], gatewayUrl: string, gatewayPid: number, dir: string, o: Options): Promise<RelayResult> {
  const setup0 = performance.now();
  const threads = Math.min(o.threads, o.pairs);
  const workers: Array<{ worker: Worker; next: () => Promise<WorkerMessage> }> = [];
  let firstPair = 0;
  for (let t = 0; t < threads; t++) {
    const pairs = Math.floor(o.pairs / threads) + (t < o.pairs % threads ? 1 : 0);
    const input: WorkerInput = {
      mode, gatewayUrl, dir, phonePrefix: mode === 'e2e' ? '+4915200' : '+4915300',
      firstPair, pairs, messages: o.messages, window: o.window, size: o.size,
    };
    firstPair += pairs;
    const worker = new Worker(join(__dirname, 'relay-worker.js'), { workerData: input });
    const inbox: WorkerMessage[] = [];
    const waiting: Array<(m: WorkerMessage) => void> = [];
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'error') {
        console.error(`worker ${t} failed: ${m.message}`);
        process.exit(1);
      }
      const w = waiting.shift();
      if (w) w(m);
      else inbox.push(m);
    });
    worker.on('error', (err) => {
      console.error(`worker ${t} crashed: ${err.stack ?? err.message}`);
      process.exit(1);
    });
    workers.push({ worker, next: () => new Promise((resolve) => (inbox.length ? resolve(inbox.shift()!) : waiting.push(resolve))) });
  }
  await Promise.all(workers.map((w) => w.next()));
  const setupSeconds = (performance.now() - setup0) / 1000;

  const cpu0 = process.cpuUsage();
  const gatewayCpu0 = cpuSecondsOf(gatewayPid);
  const t0 = performance.now();
  for (const w of workers) w.worker.postMessage('go');
  const results = await Promise.all(workers.map((w) => w.next()));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const gatewayCpuSeconds = cpuSecondsOf(gatewayPid) - gatewayCpu0;
  const latencies = results.flatMap((r) => (r.type === 'done' ? r.latencies : []));
  for (const w of workers) w.worker.postMessage('close');
  await Promise.all(workers.map((w) => w.next()));
  await Promise.all(workers.map((w) => w.worker.terminate()));
  return { summary: summarize(latencies, seconds), setupSeconds, clientCpuSeconds: (cpu.user + cpu.system) / 1e6, gatewayCpuSeconds };
}

function cpuLine(r: RelayResult, what: string): string {
  const perMessage = (sec: number) => ((sec * 1e6) / r.summary.count).toFixed(0);
  return `    CPU: simulated users ${r.clientCpuSeconds.toFixed(2)} s (${perMessage(r.clientCpuSeconds)} µs/message: ${what}), ` +
    `gateway ${r.gatewayCpuSeconds.toFixed(2)} s (${perMessage(r.gatewayCpuSeconds)} µs/message)`;
}

async function main(): Promise<void> {
  const o = options();
  const dir = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  const child = await startChild(dir);
  try {
    const total = o.pairs * 2 * o.messages;
    console.log(`bench:gateway — ${o.pairs} pairs × 2 directions × ${o.messages} messages = ${total} per run, ` +
      `window ${o.window} per sender, ${o.size}-byte text, client threads ${Math.min(o.threads, o.pairs)}`);
    console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work shares the CPUs), node ${process.version}`);
    let raw: Summary | undefined;
    if (o.raw) {
      await rawEcho(child.echoUrl, o.pairs * 2, 2000, o.window, 600); // warm-up
      raw = await rawEcho(child.echoUrl, o.pairs * 2, Math.max(total, 50_000), o.window, 600);
      console.log(line('raw WebSocket echo', raw));
    }
    const e2e = await relay('e2e', child.gatewayUrl, child.pid, dir, o);
    console.log(line('end-to-end encrypted', e2e.summary));
    console.log(cpuLine(e2e, 'libsignal encrypt + decrypt, key store, validation'));
    const relayed = await relay('ciphertext', child.gatewayUrl, child.pid, dir, o);
    console.log(line('gateway relay of ciphertexts', relayed.summary));
    console.log(cpuLine(relayed, 'submit and ack only; encrypted before the clock, not decrypted'));
    if (raw) {
      for (const [label, r] of [['end-to-end', e2e], ['relay', relayed]] as const) {
        console.log(`ratio ${label}/raw: throughput ${(r.summary.perSecond / raw.perSecond).toFixed(3)}, ` +
          `p50 latency ×${(r.summary.p50Ms / raw.p50Ms).toFixed(1)}, p99 latency ×${(r.summary.p99Ms / raw.p99Ms).toFixed(1)}`);
      }
    }
    console.log(`(setup of ${o.pairs * 2} users per run — registration, keys, first contact — not counted: ` +
      `${e2e.setupSeconds.toFixed(1)} s and ${relayed.setupSeconds.toFixed(1)} s)`);
  } finally {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`bench:gateway failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
