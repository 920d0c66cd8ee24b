/** Block lists (blocklist.set / blocklist.get): stored per account, refused when malformed or
 *  too long, and a blocked sender's messages and signals dropped at submit time with exactly
 *  the answer a delivered one gets. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BLOCKLIST, type RequestParams } from '../../../src/protocol/frames';
import { RawClient, registerUser, startTestGateway, type TestGateway } from './gateway-harness';

let t: TestGateway;
let a: RawClient;
let b: RawClient;
let c: RawClient;
let other: RawClient;
const ALICE = '+4915200000011';
const BOB = '+4915200000012';
const CAROL = '+4915200000013';
let aliceDevice: number;
let bobDevice: number;
let carolDevice: number;

const body = (n: number): string => Buffer.from(`ciphertext-${n}`).toString('base64');
function submit(from: string, deviceId: number, id: string, deviceIds = [bobDevice]): RequestParams<'message.submit'> {
  return { from: { phone: from, deviceId }, to: BOB, clientMessageId: id, messages: deviceIds.map((d) => ({ deviceId: d, type: 'whisper' as const, body: body(1) })) };
}

before(async () => {
  t = await startTestGateway();
  a = await RawClient.as(t.gateway.url, 'native');
  b = await RawClient.as(t.gateway.url, 'native');
  c = await RawClient.as(t.gateway.url, 'native');
  other = await RawClient.as(t.gateway.url, 'other');
  aliceDevice = await registerUser(a, ALICE);
  bobDevice = await registerUser(b, BOB);
  carolDevice = await registerUser(c, CAROL);
  await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice });
});
after(async () => {
  for (const client of [a, b, c, other]) await client.close();
  await t.cleanup();
});

test('the list is stored per account, replaced as a whole, sorted, and survives a restart', async () => {
  assert.deepEqual(await b.ok('blocklist.get', { phone: BOB }), { blocked: [] });
  assert.deepEqual(await b.ok('blocklist.set', { phone: BOB, blocked: [CAROL, ALICE] }), { blocked: [ALICE, CAROL] });
  assert.deepEqual(await b.ok('blocklist.set', { phone: BOB, blocked: [CAROL] }), { blocked: [CAROL] }, 'replaced, not merged');
  assert.deepEqual(await a.ok('blocklist.get', { phone: ALICE }), { blocked: [] }, "another account's list is its own");
  await t.restart();
  const fresh = await RawClient.as(t.gateway.url, 'native');
  assert.deepEqual(await fresh.ok('blocklist.get', { phone: BOB }), { blocked: [CAROL] });
  assert.deepEqual(await fresh.ok('blocklist.set', { phone: BOB, blocked: [] }), { blocked: [] });
  await fresh.close();
  // the restart dropped every socket: connect again for the tests below
  a = await RawClient.as(t.gateway.url, 'native');
  b = await RawClient.as(t.gateway.url, 'native');
  c = await RawClient.as(t.gateway.url, 'native');
  other = await RawClient.as(t.gateway.url, 'other');
  await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice });
});

test('a malformed, duplicated or too long list is refused naming the field, and the stored one stays', async () => {
  await b.ok('blocklist.set', { phone: BOB, blocked: [CAROL] });
  const notE164 = await b.fails('blocklist.set', { phone: BOB, blocked: [ALICE, '0151 2345678'] });
  assert.equal(notE164.code, 'invalid_params');
  assert.equal(notE164.field, '/params/blocked/1');
  const twice = await b.fails('blocklist.set', { phone: BOB, blocked: [ALICE, ALICE] });
  assert.equal(twice.code, 'invalid_params');
  assert.equal(twice.field, '/params/blocked');
  const tooMany = Array.from({ length: MAX_BLOCKLIST + 1 }, (_, i) => `+4930${String(1_000_000 + i)}`);
  const long = await b.fails('blocklist.set', { phone: BOB, blocked: tooMany });
  assert.equal(long.code, 'invalid_params');
  assert.match(long.message, new RegExp(`more than ${MAX_BLOCKLIST} items`));
  assert.deepEqual(await b.ok('blocklist.set', { phone: BOB, blocked: tooMany.slice(1) }), { blocked: tooMany.slice(1).sort() }, 'exactly the cap is fine');
  await b.ok('blocklist.set', { phone: BOB, blocked: [CAROL] });
  assert.deepEqual(await b.ok('blocklist.get', { phone: BOB }), { blocked: [CAROL] }, 'refusals left the list as it was');
  assert.equal((await other.fails('blocklist.set', { phone: BOB, blocked: [] })).code, 'forbidden', "another provider's account");
  assert.equal((await other.fails('blocklist.get', { phone: BOB })).code, 'forbidden');
  assert.equal((await b.fails('blocklist.set', { phone: '+4915200000099', blocked: [] })).code, 'account_not_found');
  await b.ok('blocklist.set', { phone: BOB, blocked: [] });
});

test("a blocked sender's submit gets a delivered submit's answer, and nothing reaches the recipient", async () => {
  await b.ok('blocklist.set', { phone: BOB, blocked: [ALICE] });
  const delivered = await c.ok('message.submit', submit(CAROL, carolDevice, 'c-1'));
  const dropped = await a.ok('message.submit', submit(ALICE, aliceDevice, 'a-1'));
  assert.deepEqual(Object.keys(dropped).sort(), Object.keys(delivered).sort());
  assert.equal(dropped.duplicate, false);
  assert.equal(typeof dropped.serverTimestamp, 'number');
  // a resubmission is a duplicate, as for any accepted message (with the first timestamp)
  assert.deepEqual(await a.ok('message.submit', submit(ALICE, aliceDevice, 'a-1')), { serverTimestamp: dropped.serverTimestamp, duplicate: true });
  // the same checks run: a wrong device set is still stale_devices (no shortcut that gives the block away)
  assert.equal((await a.fails('message.submit', submit(ALICE, aliceDevice, 'a-2', [bobDevice, 99]))).code, 'stale_devices');
  await b.sync();
  const got = b.drain('envelope');
  assert.deepEqual(got.map((e) => e.sender.phone), [CAROL], "only the unblocked sender's message arrived");
  await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: got[0].envelopeId });
  // not held either: a new subscription finds nothing waiting
  await b.ok('device.unsubscribe', { phone: BOB, deviceId: bobDevice });
  assert.deepEqual(await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice }), { queued: 0 });
});

test('typing and receipts from a blocked sender are dropped with the usual answer', async () => {
  await b.ok('blocklist.set', { phone: BOB, blocked: [ALICE] });
  const typing = await a.ok('signal.send', { from: { phone: ALICE, deviceId: aliceDevice }, to: BOB, signal: { kind: 'typing', state: 'started' } });
  assert.equal(typing.devices, 1, 'counted as reached: the subscribed device would have been');
  const receipt = await a.ok('signal.send', { from: { phone: ALICE, deviceId: aliceDevice }, to: BOB, signal: { kind: 'status', status: 'read', messageIds: ['x-1'] } });
  assert.equal(receipt.devices, 1);
  await b.sync();
  assert.deepEqual(b.drain('typing'), []);
  assert.deepEqual(b.drain('envelope'), []);
  // Carol is not blocked: hers arrive
  await c.ok('signal.send', { from: { phone: CAROL, deviceId: carolDevice }, to: BOB, signal: { kind: 'typing', state: 'started' } });
  assert.equal((await b.nextEvent('typing')).sender.phone, CAROL);
});

test('unblocking restores delivery of new messages; those sent while blocked stay gone', async () => {
  await b.ok('blocklist.set', { phone: BOB, blocked: [ALICE] });
  await a.ok('message.submit', submit(ALICE, aliceDevice, 'a-while-blocked'));
  await b.ok('blocklist.set', { phone: BOB, blocked: [] });
  await a.ok('message.submit', submit(ALICE, aliceDevice, 'a-after'));
  const e = await b.nextEvent('envelope');
  assert.equal(e.payload.kind === 'message' && e.payload.clientMessageId, 'a-after');
  await b.ok('envelope.ack', { phone: BOB, deviceId: bobDevice, envelopeId: e.envelopeId });
  await b.sync();
  assert.deepEqual(b.drain('envelope'), []);
});

test("blocking is one-way: the blocking account still reaches the blocked one", async () => {
  await b.ok('blocklist.set', { phone: BOB, blocked: [ALICE] });
  await a.ok('device.subscribe', { phone: ALICE, deviceId: aliceDevice });
  await b.ok('message.submit', {
    from: { phone: BOB, deviceId: bobDevice }, to: ALICE, clientMessageId: 'b-1', messages: [{ deviceId: aliceDevice, type: 'whisper', body: body(2) }],
  });
  const e = await a.nextEvent('envelope');
  assert.equal(e.sender.phone, BOB);
  await b.ok('blocklist.set', { phone: BOB, blocked: [] });
});
