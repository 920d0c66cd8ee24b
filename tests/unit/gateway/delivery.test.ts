/** Store-and-forward: submit, in-order delivery per device, acknowledgement, redelivery after
 *  reconnect and after a gateway restart, stale device sets, idempotent resubmission, signals. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EnvelopeEvent, RequestParams } from '../../../src/protocol/frames';
import { RawClient, registerUser, startTestGateway, testKeys, type TestGateway } from './gateway-harness';

let t: TestGateway;
let a: RawClient;
let b: RawClient;
const ALICE = '+4915200000001';
const BOB = '+4915200000002';
let aliceDevice: number;
let bobDevice: number;

const body = (n: number): string => Buffer.from(`ciphertext-${n}`).toString('base64');
function submitParams(n: number, deviceIds = [bobDevice]): RequestParams<'message.submit'> {
  return {
    from: { phone: ALICE, deviceId: aliceDevice },
    to: BOB,
    clientMessageId: `m-${n}`,
    messages: deviceIds.map((deviceId) => ({ deviceId, type: 'whisper' as const, body: body(n) })),
  };
}
async function envelopes(c: RawClient, count: number): Promise<EnvelopeEvent[]> {
  const out: EnvelopeEvent[] = [];
  for (let i = 0; i < count; i++) out.push(await c.nextEvent('envelope'));
  return out;
}

before(async () => {
  t = await startTestGateway({ deliveryWindow: 3 });
  a = await RawClient.as(t.gateway.url, 'native');
  b = await RawClient.as(t.gateway.url, 'native');
  aliceDevice = await registerUser(a, ALICE);
  bobDevice = await registerUser(b, BOB, true, true);
});
after(async () => {
  await a.close();
  await b.close();
  await t.cleanup();
});

test('submitted messages arrive in order, with sender info, and an ack removes them', async () => {
  const sub = await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice });
  assert.equal(sub.queued, 0);
  const r = await a.ok('message.submit', submitParams(1));
  assert.equal(r.duplicate, false);
  await a.ok('message.submit', submitParams(2));
  const [e1, e2] = await envelopes(b, 2);
  assert.deepEqual(e1.sender, { phone: ALICE, deviceId: aliceDevice, provider: 'native', bridged: false, e2ee: true });
  assert.deepEqual(e1.recipient, { phone: BOB, deviceId: bobDevice });
  assert.equal(e1.serverTimestamp, r.serverTimestamp);
  assert.deepEqual(e1.payload, { kind: 'message', clientMessageId: 'm-1', type: 'whisper', body: body(1) });
  assert.equal(e2.payload.kind === 'message' && e2.payload.clientMessageId, 'm-2');
  assert.deepEqual(await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: e1.envelopeId }), { removed: true });
  assert.deepEqual(await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: e1.envelopeId }), { removed: false });
  await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: e2.envelopeId });
  await b.close();
  b = await RawClient.as(t.gateway.url, 'native');
  assert.equal((await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice })).queued, 0, 'acked ones are gone');
});

test('unacknowledged envelopes are redelivered, same IDs, same order, after reconnecting', async () => {
  for (let n = 10; n < 15; n++) await a.ok('message.submit', submitParams(n));
  const firstWindow = await envelopes(b, 3); // window of 3: two more wait for acks
  await b.sync();
  assert.equal(b.drain('envelope').length, 0, 'no more than the window before acks');
  await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: firstWindow[0].envelopeId });
  const fourth = await b.nextEvent('envelope');
  assert.equal(fourth.payload.kind === 'message' && fourth.payload.clientMessageId, 'm-13');
  await b.close();

  b = await RawClient.as(t.gateway.url, 'native');
  assert.equal((await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice })).queued, 4);
  const again = await envelopes(b, 3);
  assert.deepEqual(again.map((e) => e.envelopeId), [firstWindow[1].envelopeId, firstWindow[2].envelopeId, fourth.envelopeId]);
  for (const e of again) await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: e.envelopeId });
  const last = await b.nextEvent('envelope');
  assert.equal(last.payload.kind === 'message' && last.payload.clientMessageId, 'm-14');
  await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: last.envelopeId });
});

test('a gateway restart loses nothing and duplicates nothing', async () => {
  await b.ok('device.unsubscribe', { phone: BOB, deviceId: bobDevice });
  for (let n = 20; n < 23; n++) await a.ok('message.submit', submitParams(n));
  await a.close();
  await b.close();
  await t.restart();
  a = await RawClient.as(t.gateway.url, 'native');
  b = await RawClient.as(t.gateway.url, 'native');
  // the sender did not see its last answer and retries: recognised, not queued again
  const retry = await a.ok('message.submit', submitParams(22));
  assert.equal(retry.duplicate, true);
  await a.ok('message.submit', submitParams(23));
  assert.equal((await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice })).queued, 4);
  const got = await envelopes(b, 3);
  for (const e of got) await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: e.envelopeId });
  const last = await b.nextEvent('envelope');
  assert.deepEqual(
    [...got, last].map((e) => (e.payload.kind === 'message' ? e.payload.clientMessageId : '')),
    ['m-20', 'm-21', 'm-22', 'm-23'],
  );
  await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: last.envelopeId });
  await b.sync();
  assert.equal(b.drain('envelope').length, 0);
});

test('a wrong per-device set is refused with the missing and extra devices', async () => {
  const second = await b.ok('device.register', {
    phone: BOB, registrationId: 5, attributes: { bridged: false },
    keys: testKeys('bob-second', 0),
  });
  const e = await a.fails('message.submit', submitParams(30, [bobDevice, 99]));
  assert.equal(e.code, 'stale_devices');
  assert.deepEqual(e.details, { missing: [second.deviceId], extra: [99] });
  const dup = await a.fails('message.submit', submitParams(30, [bobDevice, bobDevice]));
  assert.equal(dup.code, 'invalid_params');
  await a.ok('message.submit', submitParams(30, [bobDevice, second.deviceId]));
  assert.equal((await b.ok('device.subscribe', { phone: BOB, deviceId: second.deviceId })).queued, 1);
  const env = await b.nextEvent('envelope', (x) => x.recipient.deviceId === second.deviceId);
  await b.ok('envelope.ack', { phone: BOB, deviceId: second.deviceId, envelopeId: env.envelopeId });
  const onFirst = await b.nextEvent('envelope', (x) => x.recipient.deviceId === bobDevice);
  assert.equal(onFirst.payload.kind === 'message' && onFirst.payload.body, body(30), 'each device gets its own ciphertext');
  await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: onFirst.envelopeId });
  await b.ok('device.remove', { phone: BOB, deviceId: second.deviceId });
  await b.nextEvent('subscription.ended', (x) => x.reason === 'device_removed');
});

test('a sender may only act for its own provider, and only to existing accounts', async () => {
  const o = await RawClient.as(t.gateway.url, 'other');
  assert.equal((await o.fails('message.submit', submitParams(40))).code, 'forbidden');
  assert.equal((await o.fails('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: '1' })).code, 'forbidden');
  await o.close();
  const e = await a.fails('message.submit', { ...submitParams(41), to: '+4915299999999' });
  assert.equal(e.code, 'account_not_found');
  assert.equal(e.field, '/params/to');
});

test('read receipts are durable envelopes; typing is pushed only to subscribed devices', async () => {
  const read = await b.ok('signal.send', {
    from: { phone: BOB, deviceId: bobDevice }, to: ALICE, signal: { kind: 'status', status: 'read', messageIds: ['m-1', 'm-2'] },
  });
  assert.equal(read.devices, 1);
  const typingOffline = await b.ok('signal.send', {
    from: { phone: BOB, deviceId: bobDevice }, to: ALICE, signal: { kind: 'typing', state: 'started' },
  });
  assert.equal(typingOffline.devices, 0, 'nobody listening: typing is dropped');
  await a.ok('device.subscribe', { phone: ALICE, deviceId: aliceDevice });
  const status = await a.nextEvent('envelope');
  assert.deepEqual(status.payload, { kind: 'status', status: 'read', messageIds: ['m-1', 'm-2'] });
  assert.equal(status.sender.bridged, true);
  await a.ok('envelope.ack', { phone: ALICE, deviceId: aliceDevice, envelopeId: status.envelopeId });
  await b.ok('signal.send', { from: { phone: BOB, deviceId: bobDevice }, to: ALICE, signal: { kind: 'typing', state: 'stopped' } });
  const typing = await a.nextEvent('typing');
  assert.equal(typing.state, 'stopped');
  assert.equal(typing.sender.phone, BOB);
});

test('subscribing from another connection takes the device over', async () => {
  const c = await RawClient.as(t.gateway.url, 'native');
  await c.ok('device.subscribe', { phone: ALICE, deviceId: aliceDevice });
  const ended = await a.nextEvent('subscription.ended');
  assert.deepEqual(ended, { device: { phone: ALICE, deviceId: aliceDevice }, reason: 'replaced' });
  await b.ok('signal.send', { from: { phone: BOB, deviceId: bobDevice }, to: ALICE, signal: { kind: 'typing', state: 'started' } });
  await c.nextEvent('typing');
  await c.close();
});
