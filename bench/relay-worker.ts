/**
 * Worker thread of bench:gateway: hosts some simulated pairs, so the benchmark's clients can
 * use more than one core. Two modes:
 *  - `e2e`: each message is encrypted by the sender's InteropClient (libsignal), relayed by the
 *    gateway, decrypted and validated by the recipient's client, and acknowledged;
 *  - `ciphertext`: the Signal ciphertexts are prepared before the clock starts and recipients
 *    acknowledge envelopes without decrypting: what the gateway alone can relay.
 * Protocol with the main thread: → ready(setup) ← go → done(latencies) ← close → closed.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { Content } from '../src/protocol/content';
import type { EnvelopeEvent, SubmitParams } from '../src/protocol/frames';
import { SimUser } from '../src/sim/sim-user';

export interface WorkerInput {
  mode: 'e2e' | 'ciphertext';
  gatewayUrl: string;
  dir: string;
  phonePrefix: string;
  firstPair: number;
  pairs: number;
  messages: number;
  window: number;
  size: number;
}

export type WorkerMessage =
  | { type: 'ready'; setupSeconds: number }
  | { type: 'done'; latencies: number[] }
  | { type: 'closed' }
  | { type: 'error'; message: string };

const input = workerData as WorkerInput;
const port = parentPort;
if (!port) throw new Error('relay-worker must run as a worker thread');
const post = (m: WorkerMessage) => port.postMessage(m);

function content(messageId: string, body: string): Content {
  return { kind: 'message', messageId, timestamp: Date.now(), parts: [{ type: 'text', body, format: 'plain' }] };
}

/** Runs `count` async jobs with at most `window` in flight. */
async function windowed(count: number, window: number, job: (k: number) => Promise<unknown>): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  for (let k = 0; k < count; k++) {
    const p: Promise<unknown> = job(k).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const users: SimUser[] = [];
  for (let i = 0; i < input.pairs * 2; i++) {
    const n = input.firstPair * 2 + i;
    const sim = await SimUser.create({
      url: input.gatewayUrl,
      phone: `${input.phonePrefix}${String(n).padStart(6, '0')}`,
      provider: 'native',
      secret: 'native-dev-secret',
      dataDir: input.dir,
      autoDelivered: false,
      preKeyBatch: 5,
      kyberPreKeyBatch: 1,
    });
    await sim.register();
    users.push(sim);
  }
  const partner = (i: number) => users[i % 2 === 0 ? i + 1 : i - 1];
  // first contact both ways: the run measures established sessions
  for (let i = 0; i < users.length; i += 2) {
    const id = await users[i].sendText(users[i + 1].phone, 'hello');
    await users[i + 1].waitFor('message', (m) => m.content.messageId === id);
    const back = await users[i + 1].sendText(users[i].phone, 'hello');
    await users[i].waitFor('message', (m) => m.content.messageId === back);
  }
  const body = 'x'.repeat(input.size);
  const expected = users.length * input.messages;
  const startedAt = new Map<string, number>();
  const latencies: number[] = [];
  let done!: () => void;
  const allReceived = new Promise<void>((resolve) => (done = resolve));
  const arrived = (id: string) => {
    const t = startedAt.get(id);
    if (t === undefined) return;
    startedAt.delete(id);
    latencies.push(performance.now() - t);
    if (latencies.length === expected) done();
  };

  let prepared: SubmitParams[][] = [];
  if (input.mode === 'e2e') {
    for (const u of users) {
      u.received.length = 0;
      u.client.on('message', (m) => arrived(m.content.messageId));
    }
  } else {
    prepared = await Promise.all(
      users.map(async (u, i) => {
        const list: SubmitParams[] = [];
        for (let k = 0; k < input.messages; k++) list.push(await u.client.prepareContent(partner(i).phone, content(`${u.phone}-${k}`, body)));
        return list;
      }),
    );
    for (const u of users) {
      // take the queue away from the client: envelopes are counted and acked, not decrypted
      await u.client.stop();
      u.connection.on('envelope', (ev: EnvelopeEvent) => {
        if (ev.payload.kind !== 'message') return;
        arrived(ev.payload.clientMessageId);
        void u.connection.request('envelope.ack', { phone: ev.recipient.phone, deviceId: ev.recipient.deviceId, envelopeId: ev.envelopeId });
      });
      await u.connection.subscribe(u.phone, u.deviceId as number);
    }
  }
  post({ type: 'ready', setupSeconds: (performance.now() - t0) / 1000 });
  await new Promise<void>((resolve) => port!.once('message', () => resolve()));

  await Promise.all(
    users.map((u, i) =>
      windowed(input.messages, input.window, (k) => {
        const id = `${u.phone}-${k}`;
        startedAt.set(id, performance.now());
        return input.mode === 'e2e'
          ? u.client.sendContent(partner(i).phone, content(id, body))
          : u.connection.request('message.submit', prepared[i][k]);
      }),
    ),
  );
  await allReceived;
  post({ type: 'done', latencies });
  await new Promise<void>((resolve) => port!.once('message', () => resolve()));
  for (const u of users) await u.close();
  post({ type: 'closed' });
}

main().catch((err: Error) => post({ type: 'error', message: err.stack ?? err.message }));
