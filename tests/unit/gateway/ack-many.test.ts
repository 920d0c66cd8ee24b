/** envelope.ack_many: several envelopes of one device acknowledged in one request, answered
 *  per ID in order, in protocol versions 1 and 2, with the same checks as envelope.ack. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ACKS_PER_REQUEST, type EnvelopeEvent } from '../../../src/protocol/frames';
import { RawClient, registerUser, startTestGateway, type TestGateway } from './gateway-harness';

let t: TestGateway;
let a: RawClient;
const ALICE = '+4915200000101';
const BOB = '+4915200000102';
let aliceDevice: number;
let bobDevice: number;

before(async () => {
  t = await startTestGateway({ deliveryWindow: 2 });
  a = await RawClient.as(t.gateway.url, 'native');
  const b = await RawClient.as(t.gateway.url, 'native');
  aliceDevice = await registerUser(a, ALICE);
  bobDevice = await registerUser(b, BOB, true, true);
  await b.close();
});
after(async () => {
  await a.close();
  await t.cleanup();
});

async function send(n: number): Promise<void> {
  await a.ok('message.submit', {
    from: { phone: ALICE, deviceId: aliceDevice }, to: BOB, clientMessageId: `many-${n}`,
    messages: [{ deviceId: bobDevice, type: 'whisper', body: Buffer.from(`c-${n}`).toString('base64') }],
  });
}
async function envelopes(c: RawClient, count: number): Promise<EnvelopeEvent[]> {
  const out: EnvelopeEvent[] = [];
  for (let i = 0; i < count; i++) out.push(await c.nextEvent('envelope'));
  return out;
}

for (const version of [1, 2]) {
  test(`version ${version}: removes every envelope named, answers per ID in order, and the window moves on`, async () => {
    const b = await RawClient.as(t.gateway.url, 'native', version);
    try {
      for (let i = 0; i < 3; i++) await send(version * 10 + i);
      await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice });
      // deliveryWindow 2: the third is pushed only once the first two are acknowledged
      const [e1, e2] = await envelopes(b, 2);
      const r = await b.ok('envelope.ack_many', { phone: BOB, deviceId: bobDevice, envelopeIds: [e2.envelopeId, 'not-a-seq', e1.envelopeId] });
      assert.deepEqual(r, { removed: [true, false, true] });
      const [e3] = await envelopes(b, 1);
      assert.equal(e3.payload.kind === 'message' && e3.payload.clientMessageId, `many-${version * 10 + 2}`);
      // idempotent: acknowledged before is `false`, the new one `true`
      assert.deepEqual(await b.ok('envelope.ack_many', { phone: BOB, deviceId: bobDevice, envelopeIds: [e1.envelopeId, e3.envelopeId] }), {
        removed: [false, true],
      });
    } finally {
      await b.close();
    }
    // nothing is redelivered to a new subscription: all three are gone
    const again = await RawClient.as(t.gateway.url, 'native', version);
    try {
      assert.equal((await again.ok('device.subscribe', { phone: BOB, deviceId: bobDevice })).queued, 0);
    } finally {
      await again.close();
    }
  });
}

test('refuses an empty list, more than MAX_ACKS_PER_REQUEST IDs and an ID named twice, removing nothing', async () => {
  const b = await RawClient.as(t.gateway.url, 'native');
  try {
    await send(100);
    await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice });
    const [e] = await envelopes(b, 1);
    const base = { phone: BOB, deviceId: bobDevice };
    const empty = await b.fails('envelope.ack_many', { ...base, envelopeIds: [] });
    assert.deepEqual([empty.code, empty.field], ['invalid_params', '/params/envelopeIds']);
    const tooMany = Array.from({ length: MAX_ACKS_PER_REQUEST + 1 }, (_, i) => (i === 0 ? e.envelopeId : `x${i}`));
    assert.equal((await b.fails('envelope.ack_many', { ...base, envelopeIds: tooMany })).code, 'invalid_params');
    assert.equal((await b.fails('envelope.ack_many', { ...base, envelopeIds: [e.envelopeId, e.envelopeId] })).code, 'invalid_params');
    // the largest list allowed is accepted
    const most = await b.ok('envelope.ack_many', { ...base, envelopeIds: tooMany.slice(0, MAX_ACKS_PER_REQUEST) });
    assert.equal(most.removed.length, MAX_ACKS_PER_REQUEST);
    assert.deepEqual([most.removed[0], most.removed.slice(1).includes(true)], [true, false]);
  } finally {
    await b.close();
  }
});

test('another provider cannot acknowledge a device it does not hold, and nothing is removed', async () => {
  await send(200);
  const o = await RawClient.as(t.gateway.url, 'other');
  const b = await RawClient.as(t.gateway.url, 'native');
  try {
    await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice });
    const [e] = await envelopes(b, 1);
    assert.equal((await o.fails('envelope.ack_many', { phone: BOB, deviceId: bobDevice, envelopeIds: [e.envelopeId] })).code, 'forbidden');
    assert.equal((await b.fails('envelope.ack_many', { phone: BOB, deviceId: 99, envelopeIds: [e.envelopeId] })).code, 'device_not_found');
    assert.deepEqual(await b.ok('envelope.ack_many', { phone: BOB, deviceId: bobDevice, envelopeIds: [e.envelopeId] }), { removed: [true] });
  } finally {
    await o.close();
    await b.close();
  }
});
