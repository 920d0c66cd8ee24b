/** Delivery is fair across senders: a contact whose envelopes go unacknowledged (a flood, a
 *  poison message) fills only its own window; other contacts' envelopes still arrive, each
 *  sender's in order, and an ack frees a place in the window of the sender it belonged to. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EnvelopeEvent } from '../../../src/protocol/frames';
import { RawClient, registerUser, startTestGateway, type TestGateway } from './gateway-harness';

const WINDOW = 1000;
const FLOOD = WINDOW + 50;
const ALICE = '+4915200000011';
const CAROL = '+4915200000012';
const BOB = '+4915200000013';
let t: TestGateway;
let a: RawClient;
let c: RawClient;
let b: RawClient;
let aliceDevice: number;
let carolDevice: number;
let bobDevice: number;

before(async () => {
  t = await startTestGateway({ deliveryWindow: WINDOW });
  a = await RawClient.as(t.gateway.url, 'native');
  c = await RawClient.as(t.gateway.url, 'native');
  b = await RawClient.as(t.gateway.url, 'native');
  aliceDevice = await registerUser(a, ALICE);
  carolDevice = await registerUser(c, CAROL);
  bobDevice = await registerUser(b, BOB, true, true);
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
  await t.cleanup();
});

async function send(from: RawClient, phone: string, deviceId: number, ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => from.ok('message.submit', {
    from: { phone, deviceId },
    to: BOB,
    clientMessageId: id,
    messages: [{ deviceId: bobDevice, type: 'whisper', body: Buffer.from(id).toString('base64') }],
  })));
}
const idOf = (e: EnvelopeEvent): string => (e.payload.kind === 'message' ? e.payload.clientMessageId : '');
const from = (es: EnvelopeEvent[], phone: string): string[] => es.filter((e) => e.sender.phone === phone).map(idOf);
const ack = (e: EnvelopeEvent) => b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: e.envelopeId });
const range = (prefix: string, n: number, start = 0): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${start + i}`);

test('a flood left unacknowledged does not hold up another sender, and acks free the right window', async () => {
  await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice });
  await send(a, ALICE, aliceDevice, range('a', FLOOD));
  await send(c, CAROL, carolDevice, range('c', 3));
  await b.sync();
  const first = b.drain('envelope');
  // Alice's window is full and nothing is acknowledged; Carol's envelopes came all the same
  assert.deepEqual(from(first, ALICE), range('a', WINDOW));
  assert.deepEqual(from(first, CAROL), range('c', 3));

  // an ack of Carol's frees Carol's window, not Alice's: nothing more of Alice's is pushed
  await ack(first.find((e) => e.sender.phone === CAROL) as EnvelopeEvent);
  await b.sync();
  assert.deepEqual(b.drain('envelope'), []);

  // an ack of Alice's lets exactly her next envelope through, in her order
  await ack(first.find((e) => idOf(e) === 'a-0') as EnvelopeEvent);
  await b.sync();
  assert.deepEqual(from(b.drain('envelope'), ALICE), ['a-1000']);

  // Carol still has room: her new envelopes are pushed straight away, behind her old ones
  await send(c, CAROL, carolDevice, range('c', 2, 3));
  await b.sync();
  assert.deepEqual(from(b.drain('envelope'), CAROL), ['c-3', 'c-4']);
});

test('a new subscription starts every sender from its oldest unacknowledged envelope, in order', async () => {
  await b.close();
  b = await RawClient.as(t.gateway.url, 'native');
  await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice });
  await b.sync();
  const again = b.drain('envelope');
  assert.deepEqual(from(again, ALICE), range('a', WINDOW, 1));
  assert.deepEqual(from(again, CAROL), ['c-1', 'c-2', 'c-3', 'c-4']);
  const seqs = again.map((e) => Number(e.envelopeId));
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'pushed in queue order across senders');
});
