/**
 * Worker thread of tests/e2e/request-flood.test.ts: hosts the flood's simulated senders, so
 * their Signal encryption does not share the event loop of the bridge whose latency the test
 * prints. Registration codes come from the parent (the test gateway's captured "SMS").
 * Protocol: → code(phone) ← code(phone, code) … → ready ← go → sent(seconds) ← close → closed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SimUser } from '../../src/sim/sim-user';

export interface FloodInput {
  gatewayUrl: string;
  dir: string;
  senders: { phone: string; provider: string; secret: string }[];
  to: string;
  perSender: number;
}

export type FromFlood =
  | { type: 'code'; phone: string }
  | { type: 'ready' }
  | { type: 'sent'; seconds: number }
  | { type: 'closed' }
  | { type: 'error'; message: string };

export type ToFlood = { type: 'code'; phone: string; code: string } | { type: 'go' } | { type: 'close' };

const input = workerData as FloodInput;
const port = parentPort;
if (!port) throw new Error('flood-worker must run as a worker thread');
const post = (m: FromFlood) => port.postMessage(m);
const codes = new Map<string, (code: string) => void>();
const sims: SimUser[] = [];

function codeFor(phone: string): Promise<string> {
  return new Promise((resolve) => {
    codes.set(phone, resolve);
    post({ type: 'code', phone });
  });
}

async function flood(): Promise<void> {
  const started = Date.now();
  await Promise.all(sims.map(async (sim, i) => {
    for (let m = 0; m < input.perSender; m++) await sim.sendText(input.to, `win a prize ${i}/${m} at https://prize.example.com`);
  }));
  post({ type: 'sent', seconds: (Date.now() - started) / 1000 });
}

port.on('message', (m: ToFlood) => {
  if (m.type === 'code') codes.get(m.phone)?.(m.code);
  else if (m.type === 'go') flood().catch((error: Error) => post({ type: 'error', message: error.message }));
  else void Promise.all(sims.map((s) => s.close().catch(() => undefined))).then(() => post({ type: 'closed' }));
});

(async () => {
  for (const s of input.senders) {
    const sim = await SimUser.create({
      url: input.gatewayUrl, phone: s.phone, provider: s.provider, secret: s.secret, dataDir: input.dir,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 }, preKeyBatch: 5, kyberPreKeyBatch: 2, codeProvider: codeFor,
    });
    await sim.register();
    sims.push(sim);
  }
  post({ type: 'ready' });
})().catch((error: Error) => post({ type: 'error', message: error.stack ?? error.message }));
