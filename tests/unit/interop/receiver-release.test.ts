/**
 * The receiver hands an envelope over once while the consumer holds it, however often the
 * gateway redelivers it; once the consumer gives it back unacknowledged (release), the next
 * redelivery reaches it again in the same process, and after an ack nothing comes back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InteropConnection } from '../../../src/interop-client/connection';
import { InboundReceiver } from '../../../src/interop-client/receiver';
import type { IncomingMessage } from '../../../src/interop-client/types';
import type { EnvelopeEvent } from '../../../src/protocol/frames';

const PHONE = '+4915100001001';

function envelope(envelopeId: string): EnvelopeEvent {
  const content = { kind: 'message', messageId: `m-${envelopeId}`, timestamp: 1, parts: [{ type: 'text', body: 'hi', format: 'plain' }] };
  return {
    recipient: { phone: PHONE, deviceId: 1 },
    envelopeId,
    sender: { phone: '+4915100001002', deviceId: 1, provider: 'native', bridged: false, e2ee: false },
    serverTimestamp: 1,
    payload: { kind: 'message', clientMessageId: `m-${envelopeId}`, type: 'plaintext', body: Buffer.from(JSON.stringify(content)).toString('base64') },
  } as EnvelopeEvent;
}

test('an envelope released unacknowledged is handed over again on redelivery; an acked one is not', async () => {
  const acked: string[] = [];
  const conn = { request: async (_m: string, p: { envelopeId: string }) => void acked.push(p.envelopeId) } as unknown as InteropConnection;
  const pending = new Map<string, Uint8Array>();
  const store = { put: async (k: string, v: Uint8Array) => void pending.set(k, v), get: async (k: string) => pending.get(k), delete: async (k: string) => void pending.delete(k) };
  const handed: IncomingMessage[] = [];
  const receiver = new InboundReceiver(conn, PHONE, 1, undefined, store, {
    message: (m) => handed.push(m), status: () => undefined, unreadable: () => undefined, warning: (e) => assert.fail(e),
  }, false);

  receiver.enqueue(envelope('1'));
  receiver.enqueue(envelope('1')); // a redelivery while the consumer holds it
  await receiver.idle();
  assert.equal(handed.length, 1);

  handed[0].release();
  receiver.enqueue(envelope('1'));
  await receiver.idle();
  assert.equal(handed.length, 2, 'handed over again after it was given back');

  await handed[1].ack();
  handed[1].release(); // a no-op after the ack
  assert.deepEqual(acked, ['1']);
  receiver.enqueue(envelope('2'));
  await receiver.idle();
  assert.deepEqual(handed.map((m) => m.envelopeId), ['1', '1', '2']);
});
