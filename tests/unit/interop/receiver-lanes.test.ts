/**
 * Under a backlog of envelopes from strangers (a flood of first messages), the envelopes of
 * a contact the consumer prefers are handed over next, not after the backlog; every sender's
 * envelopes keep their order, including one that becomes preferred while its envelopes wait;
 * and a failing preference look-up costs an envelope its place, never the envelope.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { InteropConnection } from '../../../src/interop-client/connection';
import { InboundReceiver, type ReceiverSink } from '../../../src/interop-client/receiver';
import type { IncomingMessage } from '../../../src/interop-client/types';
import type { EnvelopeEvent } from '../../../src/protocol/frames';

const PHONE = '+4915100001001';
const FRIEND = '+4915100002000';
const stranger = (i: number) => `+49151000030${String(i).padStart(2, '0')}`;

let nextId = 0;
function envelope(sender: string): EnvelopeEvent {
  const envelopeId = String(++nextId);
  const content = { kind: 'message', messageId: `m-${envelopeId}`, timestamp: 1, parts: [{ type: 'text', body: 'hi', format: 'plain' }] };
  return {
    recipient: { phone: PHONE, deviceId: 1 },
    envelopeId,
    sender: { phone: sender, deviceId: 1, provider: 'native', bridged: false, e2ee: false },
    serverTimestamp: 1,
    payload: { kind: 'message', clientMessageId: `m-${envelopeId}`, type: 'plaintext', body: Buffer.from(JSON.stringify(content)).toString('base64') },
  } as EnvelopeEvent;
}

function receiverWith(sink: Partial<ReceiverSink>): { receiver: InboundReceiver; handed: IncomingMessage[]; warnings: string[] } {
  const conn = { request: async () => undefined } as unknown as InteropConnection;
  const pending = new Map<string, Uint8Array>();
  const store = { put: async (k: string, v: Uint8Array) => void pending.set(k, v), get: async (k: string) => pending.get(k), delete: async (k: string) => void pending.delete(k) };
  const handed: IncomingMessage[] = [];
  const warnings: string[] = [];
  const receiver = new InboundReceiver(conn, PHONE, 1, undefined, store, {
    message: (m) => handed.push(m), status: () => undefined, unreadable: () => undefined, warning: (e) => warnings.push(e.message), ...sink,
  }, false);
  return { receiver, handed, warnings };
}

/** the envelope IDs handed over for `sender`, in the order they were handed over */
const idsOf = (handed: IncomingMessage[], sender: string) => handed.filter((m) => m.sender.phone === sender).map((m) => Number(m.envelopeId));
const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] < x);

test("a preferred contact's envelopes go before a backlog from strangers", async () => {
  const { receiver, handed } = receiverWith({ preferred: (phone) => phone === FRIEND });
  for (let i = 0; i < 200; i++) receiver.enqueue(envelope(stranger(i % 40)));
  for (let i = 0; i < 3; i++) receiver.enqueue(envelope(FRIEND));
  await receiver.idle();
  assert.equal(handed.length, 203);
  const friendAt = handed.flatMap((m, i) => (m.sender.phone === FRIEND ? [i] : []));
  // the backlog arrived first, in the same turn: at most the one envelope taken up before the
  // friend's were queued goes ahead of them
  assert.ok(friendAt.every((i) => i <= 3), `the friend's envelopes were handed over at ${friendAt.join(', ')}`);
  assert.ok(ascending(idsOf(handed, FRIEND)), "the friend's envelopes in order");
  for (let s = 0; s < 40; s++) assert.ok(ascending(idsOf(handed, stranger(s))), `stranger ${s}'s envelopes in order`);
});

test('a sender who becomes preferred while their envelopes wait keeps their order', async () => {
  const preferred = new Set<string>();
  const { receiver, handed } = receiverWith({ preferred: (phone) => preferred.has(phone) });
  for (let i = 0; i < 50; i++) receiver.enqueue(envelope(stranger(i % 5)));
  receiver.enqueue(envelope(stranger(7)));
  receiver.enqueue(envelope(stranger(7)));
  preferred.add(stranger(7)); // accepted: from now on a contact with a portal
  receiver.enqueue(envelope(stranger(7)));
  receiver.enqueue(envelope(FRIEND));
  preferred.add(FRIEND);
  receiver.enqueue(envelope(FRIEND));
  await receiver.idle();
  assert.equal(handed.length, 55);
  assert.ok(ascending(idsOf(handed, stranger(7))), 'the newly preferred sender in order');
  assert.ok(ascending(idsOf(handed, FRIEND)), 'in order');
});

test('a preference look-up that throws queues the envelope as any other and says so', async () => {
  const { receiver, handed, warnings } = receiverWith({ preferred: () => { throw new Error('database is locked'); } });
  receiver.enqueue(envelope(FRIEND));
  receiver.enqueue(envelope(stranger(1)));
  await receiver.idle();
  assert.deepEqual(handed.map((m) => m.sender.phone), [FRIEND, stranger(1)]);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /sender priority unknown.*database is locked/);
});

test('a long backlog is handed over whole and in order', async () => {
  const { receiver, handed } = receiverWith({ preferred: (phone) => phone === FRIEND });
  for (let i = 0; i < 3000; i++) receiver.enqueue(envelope(stranger(i % 3)));
  await receiver.idle();
  for (let i = 0; i < 5; i++) receiver.enqueue(envelope(i % 2 === 0 ? FRIEND : stranger(0)));
  await receiver.idle();
  assert.equal(handed.length, 3005);
  assert.equal(new Set(handed.map((m) => m.envelopeId)).size, 3005, 'each once');
  for (const s of [FRIEND, stranger(0), stranger(1), stranger(2)]) assert.ok(ascending(idsOf(handed, s)), `${s} in order`);
});

test('an envelope handed over is not kept by the receiver (a frame can be many megabytes)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const { receiver, handed } = receiverWith({ preferred: (phone) => phone === FRIEND });
  // made in a function of their own: a suspended async function keeps its last locals alive
  const enqueueWatched = (sender: string): WeakRef<EnvelopeEvent> => {
    const ev = envelope(sender);
    receiver.enqueue(ev);
    return new WeakRef(ev);
  };
  const refs = [stranger(1), FRIEND, stranger(2)].map(enqueueWatched);
  await receiver.idle();
  assert.equal(handed.length, 3);
  // a weakly held object is collected only after the turn that last used it
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  assert.deepEqual(refs.map((r) => r.deref() === undefined), [true, true, true], 'every envelope collected');
});

test('an envelope read off the socket while a backlog is worked through goes next, not after the backlog', async () => {
  const { receiver, handed } = receiverWith({ preferred: (phone) => phone === FRIEND });
  for (let i = 0; i < 500; i++) receiver.enqueue(envelope(stranger(i % 40)));
  // a frame that arrives during the backlog reaches the receiver from an I/O callback of a
  // later turn of the event loop (setImmediate runs in the same phase as socket reads): it
  // is read only if working through the backlog lets the loop turn
  let handedBefore = -1;
  const arrived = new Promise<void>((resolve) => setImmediate(() => {
    handedBefore = handed.length;
    receiver.enqueue(envelope(FRIEND));
    resolve();
  }));
  await arrived;
  await receiver.idle();
  assert.equal(handed.length, 501);
  const friendAt = handed.findIndex((m) => m.sender.phone === FRIEND);
  assert.ok(handedBefore < 500, `the loop turned only after the whole backlog (${handedBefore} handed over)`);
  assert.ok(friendAt <= handedBefore + 1, `the friend's envelope was read after ${handedBefore} and handed over at ${friendAt}`);
});
