/** At debug level the gateway says when it wrote each envelope to its subscriber's socket
 *  (how the request-flood test separates the gateway's share of a delay from the bridge's),
 *  with IDs and times only: no phone number, no ciphertext. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../../src/gateway/context';
import { RawClient, registerUser, startTestGateway } from './gateway-harness';

const ALICE = '+4915200000031';
const BOB = '+4915200000032';

test('each envelope written to a subscriber is a debug line with its IDs, times and the bytes buffered', async () => {
  const traced: { message: string; fields: Record<string, unknown> }[] = [];
  const log: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: (message, fields = {}) => void traced.push({ message, fields }) };
  const t = await startTestGateway({ log });
  const a = await RawClient.as(t.gateway.url, 'native');
  const b = await RawClient.as(t.gateway.url, 'native');
  try {
    const aliceDevice = await registerUser(a, ALICE);
    const bobDevice = await registerUser(b, BOB);
    await b.ok('device.subscribe', { phone: BOB, deviceId: bobDevice });
    const before = Date.now();
    const { serverTimestamp } = await a.ok('message.submit', {
      from: { phone: ALICE, deviceId: aliceDevice }, to: BOB, clientMessageId: 'trace-1',
      messages: [{ deviceId: bobDevice, type: 'whisper', body: Buffer.from('ciphertext').toString('base64') }],
    }) as { serverTimestamp: number };
    await b.sync();
    const [pushed] = b.drain('envelope');
    const written = traced.filter((l) => l.message === 'envelope written');
    assert.equal(written.length, 1);
    assert.deepEqual(Object.keys(written[0].fields).sort(), ['accepted', 'buffered', 'connection', 'envelope', 'message']);
    assert.equal(written[0].fields.envelope, Number(pushed.envelopeId));
    assert.equal(written[0].fields.message, 'trace-1');
    assert.equal(written[0].fields.accepted, serverTimestamp);
    assert.ok(serverTimestamp >= before);
    assert.ok(Number(written[0].fields.buffered) > 0, 'the frame itself is in the socket buffer when the line is written');
    const text = JSON.stringify(traced);
    for (const secret of [ALICE, BOB, Buffer.from('ciphertext').toString('base64')]) assert.ok(!text.includes(secret), `${secret} in a debug line`);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await t.cleanup();
  }
});
