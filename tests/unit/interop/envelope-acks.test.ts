/** EnvelopeAcks against a recording stand-in for the connection: how acks of one turn are cut
 *  into requests (the real gateway's side is in ack-batching.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InteropConnection } from '../../../src/interop-client/connection';
import { EnvelopeAcks } from '../../../src/interop-client/envelope-acks';
import { MAX_ACKS_PER_REQUEST } from '../../../src/protocol/frames';

function recordingConnection(): { conn: InteropConnection; sent: Array<{ type: string; params: Record<string, unknown> }> } {
  const sent: Array<{ type: string; params: Record<string, unknown> }> = [];
  const fake = {
    hello: { protocolVersion: 2 },
    request: (type: string, params: Record<string, unknown>) => {
      sent.push({ type, params });
      const ids = params.envelopeIds as string[] | undefined;
      return Promise.resolve(ids ? { removed: ids.map(() => true) } : { removed: true });
    },
  };
  return { conn: fake as unknown as InteropConnection, sent };
}

test('a full batch leaves at once; what follows in the same turn goes in the next request', async () => {
  const { conn, sent } = recordingConnection();
  const acks = new EnvelopeAcks(conn, '+4915100001301', 1);
  const ids = Array.from({ length: MAX_ACKS_PER_REQUEST + 1 }, (_, i) => String(i + 1));
  await Promise.all(ids.map((id) => acks.ack(id)));
  assert.deepEqual(sent.map((s) => s.type), ['envelope.ack_many', 'envelope.ack']);
  assert.deepEqual(sent[0].params.envelopeIds, ids.slice(0, MAX_ACKS_PER_REQUEST));
  assert.equal(sent[1].params.envelopeId, ids[MAX_ACKS_PER_REQUEST]);
});

test('an envelope acked twice in one turn is named once, and both callers are answered', async () => {
  const { conn, sent } = recordingConnection();
  const acks = new EnvelopeAcks(conn, '+4915100001301', 1);
  await Promise.all([acks.ack('7'), acks.ack('8'), acks.ack('7')]);
  assert.deepEqual(sent, [{ type: 'envelope.ack_many', params: { phone: '+4915100001301', deviceId: 1, envelopeIds: ['7', '8'] } }]);
});

test('a lone ack is a plain envelope.ack, understood by every gateway', async () => {
  const { conn, sent } = recordingConnection();
  await new EnvelopeAcks(conn, '+4915100001301', 2).ack('9');
  assert.deepEqual(sent, [{ type: 'envelope.ack', params: { phone: '+4915100001301', deviceId: 2, envelopeId: '9' } }]);
});
