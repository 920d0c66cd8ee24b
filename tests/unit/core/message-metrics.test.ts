// Core tells the metrics port what happened to each message, at the points where it really
// happened: a remote message whose Matrix event exists, a Matrix message the network took, and
// each permanent failure with its reason. Redeliveries and retries are not counted twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeSession, httpError, startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import { fromMatrix, text, waitFor } from '../../helpers/outbox-driver';
import { RemoteRefusedError, type E164 } from '../../../src/network/remote-network';
import type { Content } from '../../../src/protocol/content';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

type Call = CoreHarness['metrics']['calls'][number];
/** the calls of one kind that carry a direction (every kind but the drop and request counts) */
type MessageCall = Exclude<Call, { call: 'blocked' | 'request' | 'providerBlocked' }>;
const calls = (h: CoreHarness, call: MessageCall['call']) =>
  h.metrics.calls.filter((c): c is MessageCall => c.call === call);

test('a remote message bridged: counted once as remote_to_matrix text, with its latency; a redelivery is not counted again', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const sentAt = Date.now() - 2000;
  await session.deliver(FakeSession.text(SAM, 'r1', 'hello', sentAt));
  assert.deepEqual(calls(h, 'bridged'), [{ call: 'bridged', direction: 'remote_to_matrix', kind: 'text' }]);
  const [latency] = calls(h, 'latency');
  assert.equal(latency.direction, 'remote_to_matrix');
  assert.ok(latency.call === 'latency' && latency.seconds >= 2 && latency.seconds < 60, `latency ${JSON.stringify(latency)}`);
  await session.deliver(FakeSession.text(SAM, 'r1', 'hello', sentAt));
  assert.equal(calls(h, 'bridged').length, 1, 'the network handing it over again is no second message');
  assert.deepEqual(calls(h, 'failed'), []);
});

test('a remote message retried through a homeserver outage is counted once, when its event exists', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await h.core.portals.ensure(ALICE, SAM);
  const before = h.matrix.count('sendEvent');
  // unreachable, not 5xx: an outage, never taken for poison
  h.matrix.fail('sendEvent', 5);
  await session.deliver(FakeSession.text(SAM, 'r1', 'after an outage'));
  assert.ok(h.matrix.count('sendEvent') - before >= 6, 'the send was retried');
  assert.deepEqual(calls(h, 'bridged').map((c) => c.direction), ['remote_to_matrix']);
});

test('remote content the bridge cannot show, and a message the homeserver refuses, count as failed with their reasons', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  await h.core.portals.ensure(ALICE, SAM);
  const poll = { ...FakeSession.text(SAM, 'u1', ''), content: { kind: 'unsupported', messageId: 'u1', timestamp: Date.now(), original: 'poll' } as Content };
  await session.deliver(poll);
  h.matrix.failWhen('sendEvent', (args) => (args[3] as { body?: string }).body === 'refused', () => httpError(403));
  await session.deliver(FakeSession.text(SAM, 'r2', 'refused'));
  assert.deepEqual(calls(h, 'failed'), [
    { call: 'failed', direction: 'remote_to_matrix', reason: 'unbridgeable' },
    { call: 'failed', direction: 'remote_to_matrix', reason: 'rejected' },
  ]);
  assert.deepEqual(calls(h, 'bridged'), []);
});

test('a Matrix message the network took: counted as matrix_to_remote with its kind and latency', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const { roomId } = await h.core.portals.ensure(ALICE, SAM);
  session.fail('send', 2);
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('to sam'), { origin_server_ts: Date.now() - 3000 });
  await waitFor('the message on the network', () => session.sent.length >= 1);
  await h.core.queue.idle();
  assert.deepEqual(calls(h, 'bridged'), [{ call: 'bridged', direction: 'matrix_to_remote', kind: 'text' }], 'counted once, not per attempt');
  const [latency] = calls(h, 'latency');
  assert.ok(latency.call === 'latency' && latency.direction === 'matrix_to_remote' && latency.seconds >= 3, JSON.stringify(latency));
});

test('Matrix messages that fail for good: the network refusing, an unbridgeable event, one too old', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const { roomId } = await h.core.portals.ensure(ALICE, SAM);
  session.fail('send', 1, () => new RemoteRefusedError('no such recipient', 'account_not_found'));
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('refused'));
  await fromMatrix(h, roomId, ALICE, 'm.poll.start', { 'm.poll.start': { question: { 'm.text': 'lunch?' }, answers: [] } });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('stale'), { origin_server_ts: Date.now() - 2 * 86_400_000 });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('fine'));
  await waitFor('the last message on the network', () => session.sent.length >= 1);
  await h.core.queue.idle();
  assert.deepEqual(calls(h, 'failed').map((c) => c.call === 'failed' && c.reason), ['rejected', 'unbridgeable', 'gave_up']);
  assert.deepEqual(calls(h, 'failed').map((c) => c.direction), ['matrix_to_remote', 'matrix_to_remote', 'matrix_to_remote']);
  assert.deepEqual(calls(h, 'bridged'), [{ call: 'bridged', direction: 'matrix_to_remote', kind: 'text' }]);
});

test('a Matrix reaction is counted as a reaction; an event the bridge only ignores is not counted', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const { roomId } = await h.core.portals.ensure(ALICE, SAM);
  await session.deliver(FakeSession.text(SAM, 'r1', 'react to me'));
  const target = h.matrix.events.find((e) => e.content.body === 'react to me');
  assert.ok(target);
  await fromMatrix(h, roomId, ALICE, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: target.eventId, key: '👍' } });
  // a reaction to a message the bridge never saw has nothing to go to
  await fromMatrix(h, roomId, ALICE, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$unknown', key: '👍' } });
  await fromMatrix(h, roomId, ALICE, 'm.room.message', text('barrier'));
  await waitFor('the barrier on the network', () => session.sent.length >= 2);
  await h.core.queue.idle();
  assert.deepEqual(calls(h, 'bridged').filter((c) => c.direction === 'matrix_to_remote').map((c) => c.call === 'bridged' && c.kind), ['reaction', 'text']);
  assert.deepEqual(calls(h, 'failed'), []);
});
