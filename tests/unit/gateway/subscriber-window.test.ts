/** A subscriber may ask for a smaller window than the gateway's deliveryWindow (device.subscribe
 *  `window`): it then holds at most that many unacknowledged envelopes of one sender, so a
 *  contact's backlog waits at the gateway instead of in the subscriber's memory. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EnvelopeEvent } from '../../../src/protocol/frames';
import { RawClient, registerUser, startTestGateway, type TestGateway } from './gateway-harness';

const GATEWAY_WINDOW = 10;
const ALICE = '+4915200000021';
const BOB = '+4915200000023';
let t: TestGateway;
let a: RawClient;
let b: RawClient;
let aliceDevice: number;
let bobDevice: number;

before(async () => {
  t = await startTestGateway({ deliveryWindow: GATEWAY_WINDOW });
  a = await RawClient.as(t.gateway.url, 'native');
  b = await RawClient.as(t.gateway.url, 'native');
  aliceDevice = await registerUser(a, ALICE);
  bobDevice = await registerUser(b, BOB, true, true);
});
after(async () => {
  await Promise.all([a.close(), b.close()]);
  await t.cleanup();
});

const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const idOf = (e: EnvelopeEvent): string => (e.payload.kind === 'message' ? e.payload.clientMessageId : '');
async function send(ids: string[]): Promise<void> {
  for (const id of ids) {
    await a.ok('message.submit', {
      from: { phone: ALICE, deviceId: aliceDevice },
      to: BOB,
      clientMessageId: id,
      messages: [{ deviceId: bobDevice, type: 'whisper', body: Buffer.from(id).toString('base64') }],
    });
  }
}
const ack = (e: EnvelopeEvent) => b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: e.envelopeId });

test('the window a subscriber asks for bounds what one sender has pushed unacknowledged', async () => {
  const result = await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice, window: 3 });
  assert.deepEqual(result, { queued: 0, window: 3 });
  await send(range('m', 8));
  await b.sync();
  const first = b.drain('envelope');
  assert.deepEqual(first.map(idOf), range('m', 8).slice(0, 3));

  // each ack lets exactly one more through, in order
  await ack(first[0]);
  await b.sync();
  assert.deepEqual(b.drain('envelope').map(idOf), ['m-3']);
  for (const e of first.slice(1)) await ack(e);
  await b.sync();
  assert.deepEqual(b.drain('envelope').map(idOf), ['m-4', 'm-5']);
});

test('a window larger than the gateway allows is cut to the gateway\'s, and said so', async () => {
  const result = await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice, window: 500 });
  assert.equal((result as { window?: number }).window, GATEWAY_WINDOW);
});

test('a subscriber that names no window gets the result it always had', async () => {
  const result = await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice });
  assert.deepEqual(Object.keys(result as object), ['queued']);
});

test('a window of 0 is refused, naming the field', async () => {
  const error = await b.fails('device.subscribe', { phone: BOB, deviceId: bobDevice, window: 0 });
  assert.equal(error.code, 'invalid_params');
  assert.equal(error.field, '/params/window');
});
