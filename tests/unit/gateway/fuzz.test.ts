/**
 * Thousands of hostile frames at a real gateway over a real socket: random JSON, valid
 * requests with fields swapped for wrong types, huge strings, deep nesting, lone surrogates,
 * binary and oversized frames. Every frame gets exactly one answer, none of them is an
 * `internal` error (that would be a bug the fuzz found), the process keeps running and the
 * gateway serves normal requests afterwards. The PRNG is seeded (FUZZ_SEED to vary it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { seededRandom } from '../../helpers/seeded-random';
import type { Logger } from '../../../src/gateway/context';
import { REQUEST_TYPES } from '../../../src/protocol/frames';
import { PROVIDERS, RawClient, registerUser, startTestGateway, testKeys, type TestGateway } from './gateway-harness';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const FRAMES = 3000;
// large enough for base64 values that overflowed the old pattern (about 4 MB); the random
// huge strings stay smaller so the run stays quick
const MAX_FRAME = 8 * 1024 * 1024;
const HUGE = 256 * 1024;
const ALICE = '+4915300000001';
const BOB = '+4915300000002';

const rnd = seededRandom(SEED);
const int = (n: number): number => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

const ODD_STRINGS = [
  '', ' ', '\u0000', '\ud800', '\udfff', '\ud83d', 'a\nb', '<script>alert(1)</script>', '../../etc/passwd', '%00', '\u202e',
  '+4915300000001', '+0', '1', '-1', 'NaN', '{}', '[]', 'null', '__proto__', 'constructor', '😀'.repeat(50), 'A'.repeat(129),
];

function randomString(): string {
  switch (int(4)) {
    case 0:
      return pick(ODD_STRINGS);
    case 1:
      return String.fromCharCode(...Array.from({ length: int(40) }, () => int(0x10000)));
    case 2:
      return 'x'.repeat(int(5) === 0 ? int(HUGE) : int(2000));
    default:
      return Buffer.from(Array.from({ length: int(64) }, () => int(256))).toString('base64');
  }
}

function hostileValue(depth = 0): unknown {
  switch (int(depth > 3 ? 8 : 11)) {
    case 0: return int(3) === 0 ? -int(1e9) : int(1e9);
    case 1: return pick([0, -0, 1.5, -1, 1e308, -1e308, 2 ** 53 + 2, 128, 127, 0xffffff + 1, 16381]);
    case 2: return pick([true, false, null]);
    case 3: case 4: case 5: return randomString();
    case 6: return {};
    case 7: return [];
    case 8: return Array.from({ length: int(5) }, () => hostileValue(depth + 1));
    case 9: return Object.fromEntries(Array.from({ length: int(5) }, () => [randomString().slice(0, 20), hostileValue(depth + 1)]));
    default: return { kind: pick(['typing', 'status', 'message', 'x']), state: hostileValue(depth + 1) };
  }
}

let aliceDevice = 1;
let bobDevice = 1;

function validParams(type: (typeof REQUEST_TYPES)[number]): Record<string, unknown> {
  const keys = testKeys(ALICE);
  const body = Buffer.from('ciphertext').toString('base64');
  switch (type) {
    case 'hello': return { provider: 'native', secret: 'native-test-secret' };
    case 'ping': case 'providers.list': return {};
    case 'account.register_request': case 'account.unregister': case 'device.list': case 'keys.fetch': case 'profile.get':
      return { phone: pick([ALICE, BOB]) };
    case 'account.register_confirm': return { phone: ALICE, code: '123456' };
    case 'device.register': return { phone: ALICE, registrationId: 7, attributes: { bridged: false }, keys };
    case 'device.remove': case 'device.subscribe': case 'device.unsubscribe': return { phone: BOB, deviceId: bobDevice };
    case 'keys.upload': return { phone: ALICE, deviceId: aliceDevice, oneTimePreKeys: keys.oneTimePreKeys };
    case 'message.submit':
      return { from: { phone: ALICE, deviceId: aliceDevice }, to: BOB, clientMessageId: `f-${int(1e9)}`, messages: [{ deviceId: bobDevice, type: 'whisper', body }] };
    case 'envelope.ack': return { phone: BOB, deviceId: bobDevice, envelopeId: String(int(100)) };
    case 'envelope.ack_many': return { phone: BOB, deviceId: bobDevice, envelopeIds: [String(int(100)), String(100 + int(100))] };
    case 'signal.send': return { from: { phone: ALICE, deviceId: aliceDevice }, to: BOB, signal: { kind: 'status', status: 'read', messageIds: ['m-1'] } };
    case 'media.upload': return { data: body };
    case 'media.download': return { mediaId: 'no-such-media' };
    case 'profile.set': return { phone: ALICE, displayName: 'Alice', avatarMediaId: null };
    // Alice blocks numbers that never send here, so the fuzz's own traffic keeps flowing
    case 'blocklist.set': return { phone: ALICE, blocked: pick([[], ['+15550001111'], ['+15550001111', '+4930123456']]) };
    case 'blocklist.get': return { phone: ALICE };
    // group requests (version 2): refused as unknown_type on this version-1 connection
    default: return { from: { phone: ALICE, deviceId: aliceDevice }, groupId: 'no-such-group', name: 'g', members: [BOB] };
  }
}

/** Replace, drop or add one value somewhere in a params object. */
function mutate(value: Record<string, unknown>): void {
  let target: Record<string, unknown> = value;
  for (let i = 0; i < 3; i++) {
    const inner = Object.values(target).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
    if (inner.length === 0 || int(2) === 0) break;
    target = pick(inner);
  }
  const keys = Object.keys(target);
  const r = int(10);
  if (r === 0 && keys.length > 0) delete target[pick(keys)];
  else if (r === 1 || keys.length === 0) target[randomString().slice(0, 30)] = hostileValue();
  else target[pick(keys)] = hostileValue();
}

/** A hostile frame that stays within twice the limit: beyond that the WebSocket layer closes
 *  the socket by design (1009), which another test covers. */
function hostileFrame(): { data: string | Buffer; binary: boolean } {
  const f = anyHostileFrame();
  return Buffer.byteLength(f.data) < 2 * MAX_FRAME ? f : { data: 'z'.repeat(MAX_FRAME + 1), binary: f.binary };
}

function anyHostileFrame(): { data: string | Buffer; binary: boolean } {
  const text = (v: unknown): { data: string; binary: boolean } => ({ data: JSON.stringify(v) ?? 'undefined', binary: false });
  switch (int(12)) {
    case 0: return text(hostileValue());
    case 1: return { data: Buffer.from(Array.from({ length: int(512) }, () => int(256))), binary: true };
    case 2: {
      const n = pick([33, 100, 10_000, 100_000]);
      return { data: int(2) ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n), binary: false };
    }
    case 3: {
      // rarely over the limit (frame_too_large), mostly large but within it
      const pad = int(10) === 0 ? MAX_FRAME + int(MAX_FRAME / 2) : int(HUGE);
      return { data: JSON.stringify({ v: 1, id: 'big', type: 'ping', params: {}, pad: 'y'.repeat(pad) }), binary: false };
    }
    case 4: return { data: randomString() || ' ', binary: false };
    case 5: {
      // escaped lone surrogates land as lone surrogates in parsed strings
      const type = pick(REQUEST_TYPES);
      return { data: `{"v":1,"id":"s${int(1e6)}","type":"${type}","params":{"phone":"\\ud800","displayName":"\\udc00x","mediaId":"\\ud83d"}}`, binary: false };
    }
    case 7:
      if (int(8) === 0) {
        // megabytes of base64, valid or with one bad character at the end
        const data = Buffer.alloc(3 * 1024 * 1024 + int(2 * 1024 * 1024), int(256)).toString('base64');
        return text({ v: 1, id: `b${int(1e6)}`, type: 'media.upload', params: { data: int(2) ? data : `${data.slice(0, -4)}AB*=` } });
      }
      return text({ v: 1, id: `m${int(1e6)}`, type: 'media.upload', params: { data: randomString() } });
    case 6: return text({ v: hostileValue(), id: hostileValue(), type: pick(REQUEST_TYPES), params: validParams(pick(REQUEST_TYPES)) });
    default: {
      const type = pick(REQUEST_TYPES);
      const params = validParams(type);
      const mutations = int(3);
      for (let i = 0; i < mutations; i++) mutate(params);
      return text({ v: 1, id: `q${int(1e9)}`, type, params });
    }
  }
}

let t: TestGateway;
const internalErrors: string[] = [];
before(async () => {
  const note = (message: string, fields?: Record<string, unknown>): void => {
    internalErrors.push(`${message} ${JSON.stringify(fields)}`);
  };
  const log: Logger = { info: () => {}, warn: () => {}, error: note };
  t = await startTestGateway({ log, maxFrameBytes: MAX_FRAME, maxMediaBytes: 5 * 1024 * 1024 });
  const setup = await RawClient.as(t.gateway.url, 'native');
  aliceDevice = await registerUser(setup, ALICE);
  bobDevice = await registerUser(setup, BOB);
  await setup.close();
});
after(() => t.cleanup());

test(`${FRAMES} hostile frames each get one answer and the gateway keeps serving (seed ${SEED})`, { timeout: 240_000 }, async () => {
  const ws = new WebSocket(t.gateway.url, { maxPayload: 16 * MAX_FRAME });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let answers = 0;
  let wake: (() => void) | undefined;
  const codes = new Map<string, number>();
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as { type: string; error?: { code: string } };
    if (f.type === 'event') return;
    answers++;
    if (f.error) codes.set(f.error.code, (codes.get(f.error.code) ?? 0) + 1);
    wake?.();
  });
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  ws.send(JSON.stringify({ v: 1, id: 'auth', type: 'hello', params: { provider: 'native', secret: PROVIDERS[0].secret } }));

  let sent = 1;
  for (let batch = 0; batch < FRAMES / 100; batch++) {
    for (let i = 0; i < 100; i++) {
      const f = hostileFrame();
      ws.send(f.data, { binary: f.binary });
      sent++;
    }
    // every frame is answered, in order, before the next batch goes out
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`batch ${batch}: ${answers} answers to ${sent} frames (seed ${SEED})`)), 30_000);
      const check = (): void => {
        if (answers < sent) return;
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      wake = check;
      void closed.then((code) => {
        clearTimeout(timer);
        reject(new Error(`socket closed (${code}) after ${sent} frames (seed ${SEED})`));
      });
      check();
    });
  }
  assert.equal(answers, sent);
  assert.deepEqual(internalErrors, [], 'no frame may hit a bug in the gateway');
  for (const code of ['bad_frame', 'frame_too_large', 'invalid_params']) assert.ok((codes.get(code) ?? 0) > 0, `some ${code}`);
  ws.close();

  // normal service afterwards, on the same gateway and a new connection
  const c = await RawClient.as(t.gateway.url, 'native');
  await c.ok('ping', {});
  const device = await registerUser(c, '+4915300000099');
  assert.ok(device >= 1);
  const sub = await c.ok('device.subscribe', { phone: '+4915300000099', deviceId: device });
  assert.equal(sub.queued, 0);
  await c.close();
});
