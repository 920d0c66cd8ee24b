/**
 * Acknowledgements asked for in one turn leave as one envelope.ack_many; each ack() resolves
 * only once the gateway has answered, a failed batch rejects every ack of it and keeps their
 * plaintext, and a gateway that does not know the request gets single envelope.ack requests
 * for the rest of the connection. A proxy in front of the real gateway records the frames and
 * plays the failures.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { InteropClient } from '../../../src/interop-client/client';
import { InteropConnection } from '../../../src/interop-client/connection';
import { SignalDatabase } from '../../../src/interop-client/signal/sqlite-database';
import type { PendingPlaintextStore } from '../../../src/interop-client/signal/stores';
import type { IncomingMessage } from '../../../src/interop-client/types';
import type { SimUser } from '../../../src/sim/sim-user';
import { InterceptingProxy } from '../../helpers/intercepting-proxy';
import { SECRETS, TestGateway, startRegistered } from './harness';

const BRIDGED = '+4915100001201';

interface Consumer {
  pending: PendingPlaintextStore;
  /** what the client warned of */
  warnings: string[];
  /** the next `count` messages, unacknowledged */
  take(count: number): Promise<IncomingMessage[]>;
  close(): Promise<void>;
}

/** A bridge-like consumer with manual acks, connected through the proxy. */
async function openConsumer(gw: TestGateway, proxy: InterceptingProxy): Promise<Consumer> {
  const db = new SignalDatabase(join(gw.dir, 'batching-keys.db'));
  const connection = new InteropConnection({ url: proxy.url, provider: 'bridge', secret: SECRETS.bridge, reconnect: false });
  await connection.connect();
  const stores = db.forAccount(BRIDGED);
  const client = new InteropClient({ connection, phone: BRIDGED, stores, device: { bridged: true, name: 'test bridge' } });
  const inbox: IncomingMessage[] = [];
  const warnings: string[] = [];
  client.on('warning', (e) => warnings.push(e.message));
  let arrived: () => void = () => {};
  client.on('message', (m) => {
    inbox.push(m);
    arrived();
  });
  await startRegistered(client);
  return {
    pending: stores.pending,
    warnings,
    take: async (count) => {
      while (inbox.length < count) await new Promise<void>((resolve) => (arrived = resolve));
      return inbox.splice(0, count);
    },
    close: async () => {
      await client.stop();
      await connection.close();
      db.close();
    },
  };
}

const idsOf = (ms: IncomingMessage[]): string[] => ms.map((m) => m.envelopeId);

describe('batched acknowledgements', () => {
  let gw: TestGateway;
  let proxy: InterceptingProxy;
  let alice: SimUser;
  let consumer: Consumer;
  /** the bridge's acknowledgements the gateway carried out */
  const carried: Array<{ type: string; params: Record<string, unknown> }> = [];

  before(async () => {
    gw = await TestGateway.start({
      onRequest: (seen) => {
        if (seen.provider === 'bridge' && seen.type.startsWith('envelope.ack')) carried.push(seen as (typeof carried)[number]);
      },
    });
    proxy = await InterceptingProxy.start(gw.url);
    alice = await gw.sim('+4915100001202');
    consumer = await openConsumer(gw, proxy);
  });
  after(async () => {
    await consumer.close();
    await proxy.close();
    await gw.close();
  });
  beforeEach(() => {
    proxy.intercept = () => undefined;
    carried.length = 0;
  });

  async function receive(count: number): Promise<IncomingMessage[]> {
    for (let i = 0; i < count; i++) await alice.sendText(BRIDGED, `batch message ${i}`);
    return consumer.take(count);
  }
  async function keptPlaintexts(ms: IncomingMessage[]): Promise<number> {
    const kept = await Promise.all(ms.map((m) => consumer.pending.get(m.envelopeId)));
    return kept.filter((p) => p !== undefined).length;
  }

  it('sends the acks of one turn as one envelope.ack_many frame, and each resolves once it is answered', async () => {
    const got = await receive(5);
    assert.equal(await keptPlaintexts(got), 5, 'plaintext kept until the ack');
    const mark = proxy.seen.length;
    await Promise.all(got.map((m) => m.ack()));
    assert.deepEqual(proxy.since(mark, 'envelope.ack').map((f) => [f.type, f.params.envelopeIds]), [['envelope.ack_many', idsOf(got)]]);
    assert.deepEqual(carried.map((c) => c.params.envelopeIds), [idsOf(got)], 'the gateway carried it out');
    assert.equal(await keptPlaintexts(got), 0, 'plaintext deleted once acknowledged');
  });

  it('a failed batch rejects every ack of it and keeps their plaintext; asking again succeeds', async () => {
    const got = await receive(3);
    let refusals = 0;
    proxy.intercept = (f) =>
      f.type === 'envelope.ack_many' && refusals++ === 0 ? { error: { code: 'internal', message: 'internal error; the request may be retried' } } : undefined;
    const first = await Promise.allSettled(got.map((m) => m.ack()));
    assert.deepEqual(first.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
    assert.match(String((first[0] as PromiseRejectedResult).reason), /internal/);
    assert.equal(carried.length, 0, 'nothing reached the gateway');
    assert.equal(await keptPlaintexts(got), 3, 'nothing is treated as acknowledged');
    const mark = proxy.seen.length;
    await Promise.all(got.map((m) => m.ack()));
    assert.deepEqual(proxy.since(mark, 'envelope.ack').map((f) => [f.type, f.params.envelopeIds]), [['envelope.ack_many', idsOf(got)]]);
    assert.deepEqual(carried.map((c) => c.params.envelopeIds), [idsOf(got)]);
    assert.equal(await keptPlaintexts(got), 0);
  });

  it('an answer that does not match the batch rejects it, and asking again succeeds', async () => {
    const got = await receive(2);
    proxy.intercept = (f) => (f.type === 'envelope.ack_many' ? { result: { removed: [true] } } : undefined);
    const first = await Promise.allSettled(got.map((m) => m.ack()));
    assert.deepEqual(first.map((r) => r.status), ['rejected', 'rejected']);
    assert.match(String((first[0] as PromiseRejectedResult).reason), /1 answers for 2 envelopes/);
    assert.equal(await keptPlaintexts(got), 2);
    proxy.intercept = () => undefined;
    await Promise.all(got.map((m) => m.ack()));
    assert.deepEqual(carried.map((c) => c.params.envelopeIds), [idsOf(got)]);
  });

  it('a gateway without envelope.ack_many gets single acks, for the rest of the connection only', async () => {
    proxy.intercept = (f) =>
      f.type === 'envelope.ack_many' ? { error: { code: 'unknown_type', message: 'unknown request type "envelope.ack_many"', field: '/type' } } : undefined;
    const got = await receive(3);
    let mark = proxy.seen.length;
    await Promise.all(got.map((m) => m.ack()));
    assert.deepEqual(proxy.since(mark, 'envelope.ack').map((f) => f.type), ['envelope.ack_many', 'envelope.ack', 'envelope.ack', 'envelope.ack']);
    assert.deepEqual(carried.map((c) => [c.type, c.params.envelopeId]), got.map((m) => ['envelope.ack', m.envelopeId]));
    assert.equal(await keptPlaintexts(got), 0);

    const more = await receive(2);
    mark = proxy.seen.length;
    await Promise.all(more.map((m) => m.ack()));
    assert.deepEqual(proxy.since(mark, 'envelope.ack').map((f) => f.type), ['envelope.ack', 'envelope.ack'], 'not asked again on this connection');
    assert.deepEqual(consumer.warnings.filter((w) => /envelope\.ack_many/.test(w)).length, 1, 'said once, not per batch');

    // a new connection (a new hello, perhaps to an upgraded gateway) tries the batch again
    await consumer.close();
    proxy.intercept = () => undefined;
    consumer = await openConsumer(gw, proxy);
    const later = await receive(2);
    mark = proxy.seen.length;
    await Promise.all(later.map((m) => m.ack()));
    assert.deepEqual(proxy.since(mark, 'envelope.ack').map((f) => f.type), ['envelope.ack_many']);
  });
});
