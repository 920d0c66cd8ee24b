/**
 * The gateway-level stressors of the fuzz ("envelopes up to the gateway's frame limit"):
 * Signal envelopes whose ciphertext fills a frame, base64 media uploads of megabytes, and raw
 * frames a client library would never send (not JSON, binary, over the limit, nested deep),
 * each on the gateway as a separate process. Every outcome is recorded, none is expected.
 */
import { WebSocket } from 'ws';
import type { SimUser } from '../../src/sim/sim-user';
import type { OutboundSender } from '../../src/interop-client/sender';
import { deepJson, type Rng } from './generator';

export interface Outcome {
  cls: string;
  variant: string;
  /** accepted, or the gateway's error code, or what went wrong */
  result: string;
  ms: number;
}

export function senderOf(sim: SimUser): OutboundSender {
  // the lowest-level send path: encrypt these exact bytes for every device, submit; no content check
  const sender = sim.client['sender'];
  if (!sender) throw new Error(`${sim.phone} has not started`);
  return sender;
}

export function describeError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? e.code : `error: ${String(e.message ?? e).slice(0, 120)}`;
}

async function timed(cls: string, variant: string, fn: () => Promise<unknown>): Promise<Outcome> {
  const started = Date.now();
  try {
    await fn();
    return { cls, variant, result: 'accepted', ms: Date.now() - started };
  } catch (error) {
    return { cls, variant, result: describeError(error), ms: Date.now() - started };
  }
}

/** Plaintext of `size` bytes that is valid content (a text with a padding field the schema ignores). */
function paddedContent(rng: Rng, size: number): Uint8Array {
  const head = JSON.stringify({ kind: 'message', messageId: rng.id('big'), timestamp: Date.now(), parts: [{ type: 'text', body: `frame-limit envelope of ${size} bytes`, format: 'plain' }] });
  const pad = Math.max(0, size - head.length - 14);
  return new TextEncoder().encode(`${head.slice(0, -1)},"padding":"${'p'.repeat(pad)}"}`);
}

/** One frame on a raw socket; resolves with the first answer (or how the socket ended). */
function rawExchange(ws: WebSocket, data: string | Buffer, binary = false): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { cleanup(); resolve('no answer within 30 s'); }, 30_000);
    const onMessage = (raw: Buffer) => {
      cleanup();
      try {
        const frame = JSON.parse(raw.toString('utf8')) as { type?: string; error?: { code?: string } };
        resolve(frame.type === 'error' ? String(frame.error?.code) : String(frame.type));
      } catch {
        resolve('unparseable answer');
      }
    };
    const onClose = (code: number) => { cleanup(); resolve(`closed ${code}`); };
    const onError = (err: Error) => { cleanup(); resolve(`socket error: ${err.message}`); };
    const cleanup = () => { clearTimeout(timer); ws.off('message', onMessage); ws.off('close', onClose); ws.off('error', onError); };
    ws.on('message', onMessage);
    ws.once('close', onClose);
    ws.once('error', onError);
    ws.send(data, { binary });
  });
}

function openRaw(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * Runs the stressors one after another (they are heavy) and returns what happened to each.
 * `sim` sends to `to`; the raw socket authenticates as the sim's provider.
 */
export async function gatewayStressors(
  rng: Rng, sim: SimUser, to: string, gatewayUrl: string, maxFrameBytes: number, provider: { id: string; secret: string },
): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const sender = senderOf(sim);
  // ciphertext is ~4/3 of the plaintext once base64-encoded; the last size fills the frame
  const fullFrame = Math.floor(((maxFrameBytes - 8192) * 3) / 4);
  for (const size of [256 * 1024, 1024 * 1024, 4 * 1024 * 1024, 8 * 1024 * 1024, fullFrame]) {
    out.push(await timed('frameLimit', `envelope-${(size / 1048576).toFixed(1)}MiB`, () => sender.submit(to, rng.id('big'), paddedContent(rng, size))));
  }
  for (const mb of [1, 3, 7]) {
    const data = Buffer.from(rng.bytes(mb * 1024 * 1024)).toString('base64');
    out.push(await timed('frameLimit', `media-upload-${mb}MiB`, () => sim.connection.request('media.upload', { data }, { timeoutMs: 60_000 })));
  }
  let ws: WebSocket | undefined;
  const raw = async (variant: string, data: string | Buffer, binary = false) => {
    const started = Date.now();
    try {
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        ws = await openRaw(gatewayUrl);
        await rawExchange(ws, JSON.stringify({ v: 1, id: 'h', type: 'hello', params: { provider: provider.id, secret: provider.secret } }));
      }
      out.push({ cls: 'frameLimit', variant, result: await rawExchange(ws, data, binary), ms: Date.now() - started });
    } catch (error) {
      out.push({ cls: 'frameLimit', variant, result: describeError(error), ms: Date.now() - started });
    }
  };
  await raw('raw-not-json', 'this is not json');
  await raw('raw-binary', Buffer.from(rng.bytes(1024)), true);
  await raw('raw-deep-nested-frame', `{"v":1,"id":"d","type":"ping","params":${deepJson(200_000, 'object')}}`);
  await raw('raw-huge-id', JSON.stringify({ v: 1, id: 'i'.repeat(1_000_000), type: 'ping', params: {} }));
  await raw('raw-submit-garbage-body', JSON.stringify({ v: 1, id: 'g', type: 'message.submit', params: { from: { phone: sim.phone, deviceId: sim.deviceId }, to, clientMessageId: rng.id('g'), messages: [{ deviceId: 1, type: 'whisper', body: 'A'.repeat(Math.floor((maxFrameBytes - 4096) / 4) * 4) }] } }));
  await raw('raw-just-over-limit', JSON.stringify({ v: 1, id: 'o', type: 'ping', params: { x: 'o'.repeat(maxFrameBytes) } }));
  await raw('raw-ping-after', JSON.stringify({ v: 1, id: 'p', type: 'ping', params: {} }));
  await raw('raw-over-twice-limit', 'x'.repeat(2 * maxFrameBytes + 16));
  ws?.terminate();
  return out;
}
