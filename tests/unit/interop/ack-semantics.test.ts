/**
 * The bridge's contract with the client library: a delivery stays queued until the consumer
 * calls ack(); if the consumer stops before acking (a crash before the Matrix event was
 * stored), the same envelope comes back after a restart and still decrypts, although the
 * Signal ratchet already moved on (the plaintext waited in the pending store).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InteropClient } from '../../../src/interop-client/client';
import { InteropConnection } from '../../../src/interop-client/connection';
import { SignalDatabase } from '../../../src/interop-client/signal/sqlite-database';
import type { IncomingMessage } from '../../../src/interop-client/types';
import type { SimUser } from '../../../src/sim/sim-user';
import { SECRETS, TestGateway, startRegistered } from './harness';

const BRIDGED = '+4915100001001';

/** A bridge-like consumer: its own database, manual acks, bridged device. */
async function openConsumer(gw: TestGateway): Promise<{ client: InteropClient; close: () => Promise<void>; next: () => Promise<IncomingMessage> }> {
  const db = new SignalDatabase(join(gw.dir, 'bridge-keys.db'));
  const connection = new InteropConnection({ url: gw.url, provider: 'bridge', secret: SECRETS.bridge, reconnect: false });
  await connection.connect();
  const client = new InteropClient({ connection, phone: BRIDGED, stores: db.forAccount(BRIDGED), device: { bridged: true, name: 'test bridge' } });
  const inbox: IncomingMessage[] = [];
  const waiters: Array<(m: IncomingMessage) => void> = [];
  client.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  await startRegistered(client);
  return {
    client,
    next: () =>
      new Promise((resolve, reject) => {
        if (inbox.length) return resolve(inbox.shift() as IncomingMessage);
        const timer = setTimeout(() => reject(new Error('no message within 10 s')), 10_000);
        waiters.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      }),
    close: async () => {
      await client.stop();
      await connection.close();
      db.close();
    },
  };
}

describe('acknowledgement after storage', () => {
  let gw: TestGateway;
  let alice: SimUser;
  before(async () => {
    gw = await TestGateway.start();
    alice = await gw.sim('+4915100001002');
  });
  after(() => gw.close());

  it('redelivers an unacknowledged message after a restart and decrypts it from the pending store', async () => {
    let consumer = await openConsumer(gw);
    const id = await alice.sendText(BRIDGED, 'store me before you ack');
    const first = await consumer.next();
    assert.equal(first.content.messageId, id);
    await consumer.close(); // "crash" before ack

    consumer = await openConsumer(gw);
    const again = await consumer.next();
    assert.equal(again.envelopeId, first.envelopeId);
    assert.deepEqual(again.content, first.content);
    await again.ack();
    await consumer.close();

    consumer = await openConsumer(gw);
    const id2 = await alice.sendText(BRIDGED, 'the next one');
    const next = await consumer.next();
    assert.equal(next.content.messageId, id2, 'the acknowledged message must not come back');
    await next.ack();
    await consumer.close();
  });

  it('publishes the bridged attribute to peers', async () => {
    const consumer = await openConsumer(gw);
    try {
      await consumer.client.sendContent(alice.phone, {
        kind: 'message', messageId: 'from-bridge-1', timestamp: Date.now(), parts: [{ type: 'text', body: 'hi from Matrix', format: 'plain' }],
        hopTrail: [{ from: 'matrix-client', to: 'bridge', protection: 'transport', plaintextAt: ['bridge'] }],
      });
      const m = await alice.waitFor('message', (x) => x.content.messageId === 'from-bridge-1');
      assert.equal(m.sender.bridged, true);
      assert.equal(m.sender.provider, 'bridge');
      assert.equal(m.encrypted, true);
      assert.deepEqual(m.content.hopTrail?.[0].plaintextAt, ['bridge']);
    } finally {
      await consumer.close();
    }
  });
});

describe('subscription taken over', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start();
  });
  after(() => gw.close());

  it('tells the client when another connection takes its queue, and start() takes it back', async () => {
    const bob = await gw.sim('+4915100001011');
    const alice = await gw.sim('+4915100001012');
    const other = new InteropConnection({ url: gw.url, provider: 'native', secret: SECRETS.native, reconnect: false });
    await other.connect();
    try {
      const ended = new Promise<{ reason: string }>((resolve) => bob.client.once('subscriptionEnded', resolve));
      await other.subscribe(bob.phone, bob.deviceId as number);
      assert.equal((await ended).reason, 'replaced');
      await bob.client.start();
      const id = await alice.sendText(bob.phone, 'back to you');
      await bob.waitFor('message', (m) => m.content.messageId === id);
    } finally {
      await other.close();
    }
  });
});
